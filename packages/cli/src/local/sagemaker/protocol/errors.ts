/**
 * Errors in AWS's shapes: the type a client sees (`ValidationException`, `ModelError`, …), the
 * HTTP status, the message and any modeled fields. The JSON 1.1 (control plane, logs) and
 * rest-json (runtime) encoders turn one into a response; nothing else writes error bodies.
 */

/** An error answered to an AWS client. */
export class ApiError extends Error {
  /** The error type (`__type` / `x-amzn-ErrorType`), e.g. `ValidationException`. */
  readonly type: string;
  readonly status: number;
  /** Modeled members sent beside the message (`OriginalStatusCode`, …). */
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(
    type: string,
    message: string,
    options: { status?: number; fields?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = options.status ?? 400;
    this.fields = options.fields ?? {};
  }
}

/** SageMaker's `ValidationException` (HTTP 400): bad input, and for most operations "not found" too. */
export function validation(message: string): ApiError {
  return new ApiError("ValidationException", message);
}

/** SageMaker's `ResourceNotFound` (HTTP 400). */
export function resourceNotFound(message: string): ApiError {
  return new ApiError("ResourceNotFound", message);
}

/** SageMaker's `ResourceInUse` (HTTP 400). */
export function resourceInUse(message: string): ApiError {
  return new ApiError("ResourceInUse", message);
}

/** SageMaker's `ResourceLimitExceeded` (HTTP 400). */
export function resourceLimitExceeded(message: string): ApiError {
  return new ApiError("ResourceLimitExceeded", message);
}

/** The service framework's answer to a body member of the wrong JSON type (HTTP 400). */
export function serialization(message: string): ApiError {
  return new ApiError("SerializationException", message);
}

/** The body of a JSON 1.1 error response: `{"__type": …, "message": …, …fields}`. */
export function jsonErrorBody(error: ApiError): string {
  return JSON.stringify({ __type: error.type, message: error.message, ...error.fields });
}

/** The body of a rest-json error response: `{"message": …, …fields}` (the type travels in a header). */
export function restJsonErrorBody(error: ApiError): string {
  return JSON.stringify({ message: error.message, Message: error.message, ...error.fields });
}

/** The framework's answer to an operation the service does not have (HTTP 400). */
export function unknownOperation(target: string, served: readonly string[]): ApiError {
  return new ApiError(
    "UnknownOperationException",
    `sagebrew local does not serve ${target || "(no X-Amz-Target)"}; it serves ${served.join(", ")}`,
  );
}
