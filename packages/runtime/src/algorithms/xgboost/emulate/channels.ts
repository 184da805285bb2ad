/**
 * SageMaker's XGBoost container's channel validation (`sagemaker_algorithm_toolkit/channel_validation.py`
 * with `algorithm_mode/channel_validation.py`, the same in every version): `train` required,
 * `validation` and `code` optional, anything else extraneous; a channel without `ContentType` is
 * `text/libsvm`; the (content type, input mode, distribution) triple must be one it lists, compared
 * exactly. And `data_utils.get_content_type`, which maps a content type to a format. Pure.
 */
import { jsonRepr } from "./_py.js";
import { UpstreamCrash, UpstreamError } from "./hyperparameters.js";

const VALID_CONTENT_TYPES = [
  "csv",
  "libsvm",
  "parquet",
  "recordio-protobuf",
  "text/csv",
  "text/libsvm",
  "text/x-libsvm",
  "application/x-parquet",
  "application/x-recordio-protobuf",
];
const VALID_PIPED_CONTENT_TYPES = [
  "csv",
  "parquet",
  "recordio-protobuf",
  "text/csv",
  "application/x-parquet",
  "application/x-recordio-protobuf",
];
const DISTRIBUTIONS = ["ShardedByS3Key", "FullyReplicated"];

const supported = (channel: string, ct: unknown, mode: unknown, dist: unknown): boolean => {
  if (channel === "code") return ct === "text/python" && mode === "File" && dist === "FullyReplicated";
  if (!DISTRIBUTIONS.includes(dist as string)) return false;
  if (mode === "File") return VALID_CONTENT_TYPES.includes(ct as string);
  if (mode === "Pipe") return VALID_PIPED_CONTENT_TYPES.includes(ct as string);
  return false;
};

/**
 * Validates `inputdataconfig.json` (as `json.load` read it) and returns each channel's content type
 * after the default was applied.
 *
 * @throws UpstreamError with the container's message; UpstreamCrash where it would crash (a key missing).
 */
export function validateUpstreamChannels(config: Readonly<Record<string, unknown>>): Map<string, string> {
  if (!Object.hasOwn(config, "train"))
    throw new UpstreamError("UserError", "Missing required channel: train");
  const out = new Map<string, string>();
  for (const [name, raw] of Object.entries(config)) {
    if (!["train", "validation", "code"].includes(name))
      throw new UpstreamError("UserError", `Extraneous channel found: ${name}`);
    const value: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    if (!Object.hasOwn(value, "ContentType")) value.ContentType = "text/libsvm";
    for (const key of ["ContentType", "TrainingInputMode", "S3DistributionType"]) {
      if (!Object.hasOwn(value, key))
        throw new UpstreamCrash(
          "KeyError",
          `'${key}'`,
          `Channel ${name}: inputdataconfig.json gives no ${key} (KeyError: '${key}')`,
        );
    }
    if (!supported(name, value.ContentType, value.TrainingInputMode, value.S3DistributionType)) {
      throw new UpstreamError(
        "UserError",
        `Channel configuration for '${name}' channel is not supported: ${jsonRepr(value)}`,
      );
    }
    out.set(name, value.ContentType as string);
  }
  return out;
}

export type UpstreamFormat = "csv" | "libsvm" | "parquet" | "recordio-protobuf";

/**
 * `data_utils.get_content_type`: the format of a content type (lower-cased, parameters allowed; CSV's
 * `label_size` must be 1); `libsvm` when none is given.
 *
 * @throws UpstreamError UserError with the container's message.
 */
export function upstreamFormat(contentType: string | undefined | null): UpstreamFormat {
  if (contentType === undefined || contentType === null) return "libsvm";
  const { type, params } = parseHeader(contentType.toLowerCase());
  if (type === "csv" || type === "text/csv") {
    if (Object.hasOwn(params, "label_size") && params.label_size !== "1") {
      throw new UpstreamError(
        "UserError",
        `${contentType} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1`,
      );
    }
    return "csv";
  }
  if (type === "libsvm" || type === "text/libsvm" || type === "text/x-libsvm") return "libsvm";
  if (type === "parquet" || type === "application/x-parquet") return "parquet";
  if (type === "recordio-protobuf" || type === "application/x-recordio-protobuf") return "recordio-protobuf";
  throw new UpstreamError(
    "UserError",
    `${contentType} is not an accepted ContentType: ${VALID_CONTENT_TYPES.join(", ")}.`,
  );
}

/** Python's `cgi.parse_header`: the type before the first `;`, then `key=value` parameters. */
export function parseHeader(line: string): { type: string; params: Record<string, string> } {
  const parts = splitParams(`;${line}`);
  const type = (parts.shift() ?? "").trim();
  const params: Record<string, string> = {};
  for (const p of parts) {
    const i = p.indexOf("=");
    if (i < 0) continue;
    const name = p.slice(0, i).trim().toLowerCase();
    let value = p.slice(i + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1).replaceAll("\\\\", "\\").replaceAll('\\"', '"');
    params[name] = value;
  }
  return { type, params };
}

/** `cgi._parseparam`: splits on `;` outside double quotes. */
function splitParams(s: string): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.startsWith(";")) {
    rest = rest.slice(1);
    let end = rest.indexOf(";");
    while (end > 0) {
      const quotes =
        (rest.slice(0, end).match(/"/g) ?? []).length - (rest.slice(0, end).match(/\\"/g) ?? []).length;
      if (quotes % 2 === 0) break;
      end = rest.indexOf(";", end + 1);
    }
    if (end < 0) end = rest.length;
    out.push(rest.slice(0, end).trim());
    rest = rest.slice(end);
  }
  return out;
}
