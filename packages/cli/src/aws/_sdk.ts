/**
 * Loads the AWS SDK for JavaScript v3 clients on first use, once each: a client takes hundreds of
 * milliseconds to load (the SageMaker one, with 3,000 operations, the most), which commands that
 * never talk to AWS must not pay at start-up.
 *
 * They are loaded with `require`: the packages ship one bundled CommonJS file as their entry, and
 * `import()` of it first scans that whole file for export names (bench/RESULTS.md, "CLI start-up
 * and the AWS SDK").
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}

export const loadSageMaker = lazy(
  async () => require("@aws-sdk/client-sagemaker") as typeof import("@aws-sdk/client-sagemaker"),
);
export const loadSageMakerRuntime = lazy(
  async () =>
    require("@aws-sdk/client-sagemaker-runtime") as typeof import("@aws-sdk/client-sagemaker-runtime"),
);
export const loadS3 = lazy(async () => require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3"));
export const loadS3Upload = lazy(
  async () => require("@aws-sdk/lib-storage") as typeof import("@aws-sdk/lib-storage"),
);
export const loadLogs = lazy(
  async () => require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs"),
);
export const loadSts = lazy(
  async () => require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts"),
);
export const loadEcr = lazy(
  async () => require("@aws-sdk/client-ecr") as typeof import("@aws-sdk/client-ecr"),
);

/** Region and profile for every client; endpoints and credentials come from the standard chain. */
export interface AwsOptions {
  /** AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's region). */
  readonly region?: string;
  /** Named profile from ~/.aws/config (default: AWS_PROFILE, else `default`). */
  readonly profile?: string;
}

/**
 * The client configuration shared by every adapter. The region is the SDK's own chain
 * (`AWS_REGION`, then the profile's), with `AWS_DEFAULT_REGION` between them as boto3 and the AWS
 * CLI read it — the SDK for JavaScript does not, and scripts written for those tools set it.
 */
export function clientConfig(
  options: AwsOptions,
  env: NodeJS.ProcessEnv = process.env,
): { region?: string; profile?: string } {
  const region = options.region || (env.AWS_REGION ? undefined : env.AWS_DEFAULT_REGION || undefined);
  return {
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
}

/**
 * An adapter whose every method first awaits the real one, so that building it loads nothing:
 * the SDK is imported on the first call.
 */
export function deferred<T extends object>(get: () => Promise<T>): T {
  return new Proxy({} as T, {
    get(_target, key) {
      // Not a thenable: an adapter returned from an async function must not be awaited into.
      if (key === "then" || typeof key === "symbol") return undefined;
      return async (...args: unknown[]) => {
        const api = await get();
        return (api[key as keyof T] as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
}
