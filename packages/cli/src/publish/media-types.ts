/** Manifest and blob media types of the Docker v2 schema 2 and OCI image formats. */

/** Docker v2 schema 2 manifest: the only single-image manifest type SageMaker accepts. */
export const DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list (multi-platform); SageMaker rejects it. */
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image config blob. */
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** Docker gzip layer. */
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** OCI image manifest; SageMaker rejects it (`Unsupported manifest media type`). */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index (multi-platform or attestations); SageMaker rejects it. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** Every manifest type a registry may answer with, for `Accept` headers. */
export const ALL_MANIFEST_TYPES: readonly string[] = [
  DOCKER_MANIFEST_V2,
  DOCKER_MANIFEST_LIST,
  OCI_MANIFEST,
  OCI_INDEX,
];

/** True when SageMaker accepts an image whose manifest has this media type. */
export function sagemakerAcceptsManifest(mediaType: string): boolean {
  return mediaType.split(";")[0]?.trim() === DOCKER_MANIFEST_V2;
}
