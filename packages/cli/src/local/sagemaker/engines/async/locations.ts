/**
 * Where an asynchronous invocation's answer and failure go, named as SageMaker names them:
 * `<S3OutputPath>[/<S3OutputPathExtension>]/<name>.out` for the answer and
 * `<S3FailurePath>/<name>-error.out` for a failure (beside the answers, under `S3OutputPath`, when
 * the config has no `S3FailurePath`; the client is then told no `FailureLocation`). `<name>` is a
 * fresh UUID, which is also the `InferenceId` when the caller gives none, or the caller's
 * `Filename` (taken as it is, without `.out`).
 */
import { randomUUID } from "node:crypto";
import type { AsyncInferenceConfig } from "../../docs.js";
import { joinUri, schemeOf } from "../../storage/index.js";

/** What InvokeEndpointAsync names, and where its results will be. */
export interface AsyncTarget {
  readonly inferenceId: string;
  readonly outputLocation: string;
  readonly failureLocation: string;
  /** True when the config has an `S3FailurePath`: only then is `FailureLocation` answered. */
  readonly failureShown: boolean;
}

/** What the request may say about names. */
export interface AsyncNaming {
  readonly inferenceId?: string;
  readonly filename?: string;
  /** `S3OutputPathExtension`: a path below `S3OutputPath`. */
  readonly extension?: string;
}

/**
 * The inference id and result locations of one invocation.
 *
 * @throws Error when `S3OutputPathExtension` would leave a `file://` output directory (a `.` or
 *   `..` segment, an empty one): S3 keys may hold them, a file system path may not.
 * @example asyncTarget(config, { inferenceId: "req-1" }).outputLocation; // s3://b/out/<uuid>.out
 */
export function asyncTarget(
  config: AsyncInferenceConfig,
  naming: AsyncNaming,
  newId: () => string = randomUUID,
): AsyncTarget {
  const out = config.OutputConfig.S3OutputPath!;
  const ext = naming.extension;
  if (ext !== undefined && schemeOf(out) === "file") {
    const segments = ext.replace(/^\/+|\/+$/g, "").split("/");
    if (segments.some((s) => s === "" || s === "." || s === ".."))
      throw new Error(
        `Cannot write below ${out} with S3OutputPathExtension '${ext}': its . and .. segments (or empty ones) would leave the directory`,
      );
  }
  const id = newId();
  const name = naming.filename ?? id;
  const failurePath = config.OutputConfig.S3FailurePath;
  return {
    inferenceId: naming.inferenceId ?? id,
    outputLocation: joinUri(out, ...(ext ? [ext] : []), naming.filename ?? `${id}.out`),
    failureLocation: joinUri(failurePath ?? out, `${name}-error.out`),
    failureShown: failurePath !== undefined,
  };
}
