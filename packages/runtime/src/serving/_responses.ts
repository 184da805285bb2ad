/**
 * The one error → response function, driven by the error catalogue: an error's status is its
 * code's (`errors/catalogue.ts`), its body one sentence, as text or as `{"message": …}`.
 */
import type { ServingConfig } from "../config/serving.js";
import { MEDIA } from "../contract/index.js";
import { ERROR_CODES, type ErrorCode } from "../errors/index.js";
import type { AppResponse, ErrorStyle } from "./_app-types.js";

/** An error to answer: a `SagebrewError`, or the same fields without the cost of an Error. */
export interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
  /** Set only where a `SagebrewError` overrides its code's status. */
  readonly status?: number;
}

export const TEXT_PLAIN = "text/plain; charset=utf-8";
const MAX_SENTENCE = 2000;

/** `200` with an empty body (`/ping`). */
export const EMPTY_OK: AppResponse = Object.freeze({ status: 200, headers: Object.freeze({}), body: "" });

/**
 * The response for `problem`: its catalogue status, one sentence (line breaks folded, long ones
 * cut), as `text/plain` or JSON.
 *
 * @example errorResponse({ code: "SB_NOT_FOUND", message: "Model not found: a" }, "json")
 * // → { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"Model not found: a"}' }
 */
export function errorResponse(
  problem: Problem,
  style: ErrorStyle,
  headers?: Readonly<Record<string, string>>,
): AppResponse {
  const status = problem.status ?? ERROR_CODES[problem.code].status;
  const text = sentence(problem.message);
  return style === "json"
    ? {
        status,
        headers: { "content-type": MEDIA.json, ...headers },
        body: JSON.stringify({ message: text }),
      }
    : { status, headers: { "content-type": TEXT_PLAIN, ...headers }, body: `${text}\n` };
}

/** A 200 answer holding `value` as JSON. */
export function jsonResponse(value: unknown): AppResponse {
  return { status: 200, headers: { "content-type": MEDIA.json }, body: JSON.stringify(value) };
}

/** The `/execution-parameters` answer (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html). */
export function executionParameters(config: ServingConfig): AppResponse {
  return jsonResponse({
    MaxConcurrentTransforms: config.maxConcurrentTransforms,
    BatchStrategy: config.batchStrategy,
    MaxPayloadInMB: Math.max(1, Math.floor(config.maxPayloadMb)),
  });
}

/** A message as one line of at most 2000 characters. */
function sentence(message: string): string {
  const line = message.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return line.length > MAX_SENTENCE ? `${line.slice(0, MAX_SENTENCE - 3)}...` : line;
}
