/**
 * What SageMaker Runtime checks before it does anything: the endpoint name and the header members
 * of the operation, against the operation's input shape in the API table (integer headers read as
 * numbers, as the service reads them).
 */
import type { IncomingMessage } from "node:http";
import { SAGEMAKER_RUNTIME, shapeOf, type ValidateOptions, validateInput } from "../../../api/index.js";
import { ApiError } from "../protocol/index.js";

/** SageMaker Runtime's error for bad input (HTTP 400). */
export const validationError = (message: string) => new ApiError("ValidationError", message);

/** Per operation, its header members: [member, lower-case header name, integer?], read from the table once. */
const headerMembers = new Map<string, ReadonlyArray<readonly [string, string, boolean]>>();

function headersOf(operation: string): ReadonlyArray<readonly [string, string, boolean]> {
  let found = headerMembers.get(operation);
  if (!found) {
    const input = shapeOf(SAGEMAKER_RUNTIME, SAGEMAKER_RUNTIME.operations[operation]!.input!);
    found = Object.entries(input.type === "structure" ? input.members : {}).flatMap(([member, ref]) =>
      typeof ref === "object" && ref.location === "header" && ref.locationName
        ? [
            [
              member,
              ref.locationName.toLowerCase(),
              shapeOf(SAGEMAKER_RUNTIME, ref.shape).type === "integer",
            ] as const,
          ]
        : [],
    );
    headerMembers.set(operation, found);
  }
  return found;
}

/**
 * The request's header members as the operation's input (an integer header that reads as one
 * becomes a number; one that does not stays a string, for the validator to refuse).
 */
export function headerInput(
  req: IncomingMessage,
  endpoint: string,
  operation: string,
): Record<string, unknown> {
  const input: Record<string, unknown> = { EndpointName: endpoint };
  for (const [member, header, integer] of headersOf(operation)) {
    const v = req.headers[header];
    if (v === undefined) continue;
    input[member] = integer && typeof v === "string" && /^-?\d{1,10}$/.test(v.trim()) ? Number(v) : v;
  }
  return input;
}

/** Checks the endpoint name and the headers; returns the error SageMaker Runtime answers, if any. */
export function checkRuntimeRequest(
  operation: string,
  input: Record<string, unknown>,
  options: ValidateOptions,
): ApiError | undefined {
  const invalid = validateInput(SAGEMAKER_RUNTIME, operation, input, options);
  if (!invalid) return undefined;
  return invalid.kind === "serialization"
    ? new ApiError("SerializationException", invalid.message)
    : validationError(invalid.message);
}

/**
 * The check of one operation's requests (`checkRuntimeRequest` on `headerInput`), remembering the
 * endpoint name and header values of the last request that passed: a client sends the same ones on
 * every invocation, and a request equal to one that passed passes (the check reads nothing else),
 * so the invocations' hot path compares a few strings instead of walking the table.
 */
export class RequestCheck {
  readonly #operation: string;
  readonly #options: ValidateOptions;
  readonly #headers: ReadonlyArray<readonly [string, string, boolean]>;
  /** The endpoint name, then each header's value, of the last request that passed. */
  #passed: unknown[] | undefined;

  constructor(operation: string, options: ValidateOptions) {
    this.#operation = operation;
    this.#options = options;
    this.#headers = headersOf(operation);
  }

  /** The error SageMaker Runtime answers for this request, if any. */
  check(req: IncomingMessage, endpoint: string): ApiError | undefined {
    const passed = this.#passed;
    if (passed !== undefined && passed[0] === endpoint) {
      const headers = this.#headers;
      const values = req.headers;
      let same = true;
      for (let i = 0; i < headers.length; i++) {
        if (values[headers[i]![1]] !== passed[i + 1]) {
          same = false;
          break;
        }
      }
      if (same) return undefined;
    }
    const problem = checkRuntimeRequest(
      this.#operation,
      headerInput(req, endpoint, this.#operation),
      this.#options,
    );
    if (!problem) this.#passed = [endpoint, ...this.#headers.map(([, header]) => req.headers[header])];
    return problem;
  }
}
