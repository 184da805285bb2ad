/** Publishing images: `docker save` archives, a registry client, and the v2 schema 2 push. */
export { type ArchiveImage, type ArchiveLayer, openLayer, readDockerArchive } from "./docker-archive.js";
export * from "./media-types.js";
export { compressLayer, dockerManifest, type PushOptions, type PushResult, pushImage } from "./push.js";
export {
  type FetchedManifest,
  isLoopbackHost,
  parseReference,
  type Registry,
  RegistryClient,
  type RegistryClientOptions,
} from "./registry-client.js";
