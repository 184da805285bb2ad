/**
 * The container image a job or a model runs: a registry reference is used as given; a local tag
 * (`iris-xgboost:dev`) is pushed to ECR first with `sagebrew push`'s code and pinned by digest, so
 * the job runs exactly the image that was built — unless the SageMaker answering is `sagebrew
 * local`, which runs the image from this machine as it is.
 */
import type { Reporter } from "./context.js";

/** Pushes a local image and resolves to `host/repository@sha256:…`. */
export type ImagePusher = (image: string, reporter: Reporter) => Promise<string>;

/** True when `image` names a registry host (`123….dkr.ecr….amazonaws.com/iris:1`, `localhost:5000/x`). */
export function isRegistryReference(image: string): boolean {
  const slash = image.indexOf("/");
  if (slash === -1) return false;
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/** The image reference to give SageMaker: `image` itself, or the digest reference of its push. */
export async function resolveImage(
  image: string,
  push: ImagePusher,
  reporter: Reporter,
  servedLocally: () => Promise<boolean> = async () => false,
): Promise<string> {
  if (isRegistryReference(image)) return image;
  if (await servedLocally()) {
    reporter.info(`${image} is a local image: sagebrew local runs it from this machine, no push to ECR`);
    return image;
  }
  reporter.info(`${image} is a local image: pushing it to Amazon ECR`);
  const pinned = await push(image, reporter);
  reporter.info(`using ${pinned}`);
  return pinned;
}
