/**
 * `inputdataconfig.json` and `resourceconfig.json` (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html), validated
 * into typed, frozen objects. Pure: takes parsed JSON.
 */
import { SagebrewError } from "../errors/index.js";

export type InputMode = "File" | "Pipe" | "FastFile";
export type DistributionType = "FullyReplicated" | "ShardedByS3Key";

export interface ChannelConfig {
  readonly name: string;
  readonly contentType?: string;
  readonly inputMode: InputMode;
  readonly distribution: DistributionType;
  readonly recordWrapper: "None" | "RecordIO";
  readonly compression: "None" | "Gzip";
}

export interface ResourceConfig {
  readonly currentHost: string;
  readonly hosts: readonly string[];
  readonly networkInterfaceName: string;
}

const CHANNEL_NAME = /^[A-Za-z0-9.\-_]{1,64}$/;

function pick<T extends string>(
  name: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === null || value === "") return fallback;
  const hit = allowed.find((a) => a.toLowerCase() === String(value).toLowerCase());
  if (!hit) {
    throw new SagebrewError(
      "SB_CHANNEL_INVALID",
      `Cannot use channel ${name}: ${field} ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`,
    );
  }
  return hit;
}

/** Validates `inputdataconfig.json`; absent (undefined) means no declared channels. */
export function parseInputDataConfig(doc: unknown): ReadonlyMap<string, ChannelConfig> {
  const out = new Map<string, ChannelConfig>();
  if (doc === undefined) return out;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new SagebrewError(
      "SB_CONFIG_INVALID",
      "Cannot read inputdataconfig.json: expected a JSON object of channel → settings",
    );
  }
  for (const [name, raw] of Object.entries(doc)) {
    if (!CHANNEL_NAME.test(name)) {
      throw new SagebrewError(
        "SB_CHANNEL_INVALID",
        `Cannot use channel ${JSON.stringify(name)}: names are 1-64 of A-Z a-z 0-9 . - _`,
      );
    }
    const c = (raw ?? {}) as Record<string, unknown>;
    const contentType =
      typeof c.ContentType === "string" && c.ContentType.trim() !== "" ? c.ContentType.trim() : undefined;
    out.set(
      name,
      Object.freeze({
        name,
        ...(contentType ? { contentType } : {}),
        inputMode: pick(
          name,
          "TrainingInputMode",
          c.TrainingInputMode,
          ["File", "Pipe", "FastFile"] as const,
          "File",
        ),
        distribution: pick(
          name,
          "S3DistributionType",
          c.S3DistributionType ?? c.S3DataDistributionType,
          ["FullyReplicated", "ShardedByS3Key"] as const,
          "FullyReplicated",
        ),
        recordWrapper: pick(
          name,
          "RecordWrapperType",
          c.RecordWrapperType,
          ["None", "RecordIO"] as const,
          "None",
        ),
        compression: pick(name, "CompressionType", c.CompressionType, ["None", "Gzip"] as const, "None"),
      }),
    );
  }
  return out;
}

/** Validates `resourceconfig.json`; absent means a single local host `algo-1`. */
export function parseResourceConfig(doc: unknown): ResourceConfig {
  if (doc === undefined)
    return Object.freeze({ currentHost: "algo-1", hosts: ["algo-1"], networkInterfaceName: "eth0" });
  const c = (doc ?? {}) as Record<string, unknown>;
  const hosts = Array.isArray(c.hosts) ? c.hosts.map(String) : [];
  const currentHost = typeof c.current_host === "string" ? c.current_host : "";
  if (!currentHost || hosts.length === 0 || !hosts.includes(currentHost)) {
    throw new SagebrewError(
      "SB_CONFIG_INVALID",
      `Cannot read resourceconfig.json: expected current_host to be one of hosts, got current_host=${JSON.stringify(c.current_host)} hosts=${JSON.stringify(c.hosts)}`,
    );
  }
  return Object.freeze({
    currentHost,
    hosts: [...hosts].sort(),
    networkInterfaceName: typeof c.network_interface_name === "string" ? c.network_interface_name : "eth0",
  });
}
