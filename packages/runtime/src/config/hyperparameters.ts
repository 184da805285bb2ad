/**
 * Decoding `hyperparameters.json`. SageMaker writes every value as a string; newer SageMaker
 * Python SDKs JSON-encode them first (`"\"reg:squarederror\""`, `"5"`), and some tools write
 * bare JSON numbers or booleans. All three forms decode to the same plain string.
 */
import { SagebrewError } from "../errors/index.js";

/** Keys that SageMaker tooling reserves for itself (github.com/aws/sagemaker-training-toolkit, params.py; `_tuning_objective_metric` from hyperparameter tuning). */
export const RESERVED_HYPERPARAMETERS: ReadonlySet<string> = new Set([
  "sagemaker_program",
  "sagemaker_submit_directory",
  "sagemaker_enable_cloudwatch_metrics",
  "sagemaker_region",
  "sagemaker_container_log_level",
  "sagemaker_job_name",
  "default_user_module_name",
  "sagemaker_s3_output",
]);

/** Decodes one value: a JSON-encoded string loses its quotes; numbers and booleans become strings. */
export function decodeHyperparameterValue(name: string, value: unknown): string {
  if (typeof value === "string") {
    const t = value.trim();
    if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
      try {
        const inner = JSON.parse(t) as unknown;
        if (typeof inner === "string") return inner;
      } catch {
        // not JSON: keep the raw text
      }
    }
    return value;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) || (value !== null && typeof value === "object")) return JSON.stringify(value);
  throw new SagebrewError(
    "SB_CONFIG_INVALID",
    `Cannot read hyperparameter ${name}: value ${JSON.stringify(value)} is not a string`,
  );
}

/**
 * Decodes the parsed `hyperparameters.json` into name → string, dropping SageMaker's reserved
 * `sagemaker_*` keys (returned separately).
 *
 * @throws SagebrewError SB_CONFIG_INVALID when the document is not a JSON object.
 */
export function decodeHyperparameters(doc: unknown): {
  values: Record<string, string>;
  reserved: Record<string, string>;
} {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new SagebrewError(
      "SB_CONFIG_INVALID",
      "Cannot read hyperparameters.json: expected a JSON object of name → value",
    );
  }
  const values: Record<string, string> = {};
  const reserved: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    const decoded = decodeHyperparameterValue(k, v);
    if (RESERVED_HYPERPARAMETERS.has(k) || k.startsWith("sagemaker_")) reserved[k] = decoded;
    else values[k] = decoded;
  }
  return { values, reserved };
}
