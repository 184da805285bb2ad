/**
 * The one catalogue of sagebrew error codes. Codes are stable and never reused; `docs/errors.md`
 * is generated from this table (`npm run docs:gen`) and CI fails when it is stale.
 */
export type FaultKind = "user" | "algorithm" | "platform";

export interface ErrorSpec {
  readonly kind: FaultKind;
  /** HTTP status when the error ends an invocation; training maps every code to a failure file. */
  readonly status: number;
  readonly summary: string;
}

export const ERROR_CODES = {
  SB_CONFIG_MISSING: { kind: "user", status: 500, summary: "A required configuration file is missing." },
  SB_CONFIG_INVALID: {
    kind: "user",
    status: 500,
    summary: "A configuration file is not valid JSON of the expected shape.",
  },
  SB_HYPERPARAMETER: {
    kind: "user",
    status: 400,
    summary: "A hyperparameter is unknown, unparsable or out of range.",
  },
  SB_CHANNEL_MISSING: { kind: "user", status: 400, summary: "A required data channel is missing." },
  SB_CHANNEL_EMPTY: { kind: "user", status: 400, summary: "A data channel holds no data." },
  SB_CHANNEL_INVALID: {
    kind: "user",
    status: 400,
    summary: "A data channel is configured in a way sagebrew cannot read.",
  },
  SB_DATA_PARSE: {
    kind: "user",
    status: 400,
    summary: "Input data could not be parsed; the message names file, line and column.",
  },
  SB_DATA_HEADER: {
    kind: "user",
    status: 400,
    summary: "A CSV header row was found where data was expected.",
  },
  SB_DATA_SHAPE: { kind: "user", status: 400, summary: "Input data has the wrong shape for the model." },
  SB_DATA_READ: { kind: "user", status: 400, summary: "A data file could not be read." },
  SB_LABEL: { kind: "user", status: 400, summary: "Labels are missing or do not fit the objective." },
  SB_PAYLOAD_TOO_LARGE: {
    kind: "user",
    status: 413,
    summary: "The request body is larger than the payload limit.",
  },
  SB_UNSUPPORTED_MEDIA_TYPE: {
    kind: "user",
    status: 415,
    summary: "The request Content-Type is not supported.",
  },
  SB_NOT_ACCEPTABLE: {
    kind: "user",
    status: 406,
    summary: "No supported response type satisfies the Accept header.",
  },
  SB_BAD_REQUEST: { kind: "user", status: 400, summary: "The request is malformed." },
  SB_NOT_FOUND: { kind: "user", status: 404, summary: "No such route or model." },
  SB_FORBIDDEN: {
    kind: "user",
    status: 403,
    summary: "The request names a file or directory outside where the server may read.",
  },
  SB_METHOD_NOT_ALLOWED: {
    kind: "user",
    status: 405,
    summary: "The route does not answer this HTTP method.",
  },
  SB_CONFLICT: { kind: "user", status: 409, summary: "The model is already loaded." },
  SB_INSUFFICIENT_STORAGE: {
    kind: "platform",
    status: 507,
    summary: "Not enough memory to load another model.",
  },
  SB_TIMEOUT: {
    kind: "algorithm",
    status: 504,
    summary: "The invocation took longer than the model server timeout.",
  },
  SB_REQUEST_TIMEOUT: {
    kind: "user",
    status: 408,
    summary: "The client sent the request's headers or body too slowly.",
  },
  SB_TOO_MANY_CONNECTIONS: {
    kind: "platform",
    status: 503,
    summary: "The server holds as many connections as it is configured to serve.",
  },
  SB_NOT_READY: { kind: "platform", status: 503, summary: "The model is not loaded yet." },
  SB_SHUTTING_DOWN: { kind: "platform", status: 503, summary: "The server is shutting down." },
  SB_MODEL_LOAD: {
    kind: "user",
    status: 500,
    summary: "The model could not be loaded from the model directory.",
  },
  SB_HANDLER_INVALID: {
    kind: "user",
    status: 500,
    summary: "The model handler does not have a valid shape.",
  },
  SB_PREDICT: { kind: "algorithm", status: 500, summary: "The model failed while predicting." },
  SB_XGBOOST_MISSING: {
    kind: "platform",
    status: 500,
    summary: "The XGBoost library could not be found or loaded.",
  },
  SB_XGBOOST: { kind: "algorithm", status: 500, summary: "The XGBoost library reported an error." },
  SB_TERMINATED: { kind: "platform", status: 500, summary: "Training was stopped by SIGTERM." },
  SB_ALGORITHM_INVALID: {
    kind: "user",
    status: 500,
    summary: "The training algorithm does not have a valid shape.",
  },
  SB_ALGORITHM: { kind: "algorithm", status: 500, summary: "The training algorithm failed." },
  SB_OUTPUT_WRITE: {
    kind: "platform",
    status: 500,
    summary: "An output file (model, checkpoint, metrics, failure file) could not be written.",
  },
  SB_CODEC_INVALID: { kind: "user", status: 500, summary: "A codec does not have a valid shape." },
  SB_INTERNAL: { kind: "platform", status: 500, summary: "An unexpected internal error." },
  SB_USAGE: { kind: "user", status: 400, summary: "A command was called with wrong arguments." },
  SB_IMAGE: {
    kind: "user",
    status: 500,
    summary: "Building, inspecting or running a container image failed.",
  },
  SB_REGISTRY: {
    kind: "platform",
    status: 500,
    summary: "A container registry refused or failed a request.",
  },
  SB_AWS: { kind: "platform", status: 500, summary: "An AWS API call failed." },
  SB_TRANSFORM: { kind: "user", status: 500, summary: "A batch transform record or file failed." },
  SB_LOCAL: {
    kind: "platform",
    status: 500,
    summary: "`sagebrew local` could not start (its state directory is in use by another one).",
  },
  SB_ENV_INVALID: {
    kind: "user",
    status: 500,
    summary: "An environment variable holds a value sagebrew cannot use.",
  },
  SB_LISTEN: {
    kind: "platform",
    status: 500,
    summary: "The server cannot listen on its port: another program uses it, or it is not allowed.",
  },
  SB_HOST_UNRESOLVED: {
    kind: "platform",
    status: 500,
    summary: "A host name of resourceconfig.json did not resolve within the wait.",
  },
  SB_CLUSTER: {
    kind: "platform",
    status: 500,
    summary:
      "The hosts of a multi-host training job could not form or keep their cluster: a host never came, left or failed, or a port was taken.",
  },
  SB_EMULATED_CLIENT_ERROR: {
    kind: "user",
    status: 400,
    summary:
      "Under SAGEBREW_EMULATE, SageMaker's XGBoost image would fail the job as the user's error (`ClientError:` and the image's own text).",
  },
  SB_EMULATED_ALGORITHM_ERROR: {
    kind: "algorithm",
    status: 500,
    summary:
      "Under SAGEBREW_EMULATE, SageMaker's XGBoost image would fail the job as an algorithm error, or would crash (`AlgorithmError:` and what happened).",
  },
  SB_TUNING: {
    kind: "user",
    status: 400,
    summary:
      "A hyperparameter tuning job breaks one of SageMaker's rules (ranges, scaling, strategy, limits, objective).",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
