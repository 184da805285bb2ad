/**
 * The SageMaker container contract as data: paths, environment variable names, media types,
 * routes and limits. Everything else refers to these names; nothing here does I/O.
 * Each group names the public page it follows: `DG <page>` is the SageMaker Developer Guide's
 * https://docs.aws.amazon.com/sagemaker/latest/dg/<page>.html.
 */
import { posix } from "node:path";

export {
  formatMetricValue,
  MAX_METRIC_DEFINITIONS,
  type MetricDefinition,
  metricDefinition,
  metricDefinitions,
  metricLine,
  parseMetricLine,
} from "./metrics.js";
export {
  CUSTOM_METRICS,
  MAXIMIZE_METRICS,
  XGBOOST_METRICS,
  XGBOOST_TUNING_METRICS,
} from "./xgboost-metrics.js";

/** Default root of the SageMaker tree inside a container (DG your-algorithms-training-algo-running-container). */
export const DEFAULT_ML_ROOT = "/opt/ml";

/** The paths of one `/opt/ml`-shaped tree, rooted anywhere (a container or a temp dir). */
export interface MlPaths {
  readonly root: string;
  readonly inputDir: string;
  readonly configDir: string;
  readonly hyperparameters: string;
  readonly inputDataConfig: string;
  readonly resourceConfig: string;
  readonly checkpointConfig: string;
  readonly dataDir: string;
  readonly modelDir: string;
  readonly multiModelDir: string;
  readonly outputDir: string;
  readonly outputDataDir: string;
  readonly failureFile: string;
  readonly successFile: string;
  readonly checkpointsDir: string;
}

/** Builds the contract paths below `root` (default `/opt/ml`). */
export function mlPaths(root: string = DEFAULT_ML_ROOT): MlPaths {
  const j = posix.join;
  const configDir = j(root, "input", "config");
  return Object.freeze({
    root,
    inputDir: j(root, "input"),
    configDir,
    hyperparameters: j(configDir, "hyperparameters.json"),
    inputDataConfig: j(configDir, "inputdataconfig.json"),
    resourceConfig: j(configDir, "resourceconfig.json"),
    checkpointConfig: j(configDir, "checkpointconfig.json"),
    dataDir: j(root, "input", "data"),
    modelDir: j(root, "model"),
    multiModelDir: j(root, "models"),
    outputDir: j(root, "output"),
    outputDataDir: j(root, "output", "data"),
    failureFile: j(root, "output", "failure"),
    successFile: j(root, "output", "success"),
    checkpointsDir: j(root, "checkpoints"),
  });
}

/** `FailureReason` shows the first 1024 characters of the failure file (DG your-algorithms-training-algo-output). */
export const FAILURE_REASON_MAX_CHARS = 1024;

/** Environment variable names read by sagebrew (docs/reference/env.md). */
export const ENV = Object.freeze({
  baseDir: "SAGEMAKER_BASE_DIR",
  bindToPort: "SAGEMAKER_BIND_TO_PORT",
  bindAddress: "SAGEBREW_BIND_ADDRESS",
  safePortRange: "SAGEMAKER_SAFE_PORT_RANGE",
  defaultAccept: "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT",
  workers: "SAGEMAKER_MODEL_SERVER_WORKERS",
  timeout: "SAGEMAKER_MODEL_SERVER_TIMEOUT",
  maxPayloadMb: "SAGEMAKER_MAX_PAYLOAD_IN_MB",
  maxContentLength: "MAX_CONTENT_LENGTH",
  multiModel: "SAGEMAKER_MULTI_MODEL",
  batch: "SAGEMAKER_BATCH",
  batchStrategy: "SAGEMAKER_BATCH_STRATEGY",
  maxConcurrentTransforms: "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS",
  inferenceOutput: "SAGEMAKER_INFERENCE_OUTPUT",
  inferenceEnsemble: "SAGEMAKER_INFERENCE_ENSEMBLE",
  containerLogLevel: "SAGEMAKER_CONTAINER_LOG_LEVEL",
  logLevel: "LOG_LEVEL",
  trainingJobName: "TRAINING_JOB_NAME",
  xgboostLibrary: "XGBOOST_LIBRARY_PATH",
  handler: "SAGEBREW_HANDLER",
  algorithm: "SAGEBREW_ALGORITHM",
  project: "SAGEBREW_PROJECT",
  mmeMemoryMb: "SAGEBREW_MME_MEMORY_MB",
  xgboostJs: "SAGEBREW_XGBOOST_JS",
  warmupMs: "SAGEBREW_WARMUP_MS",
  xgboostPrepareAfterMs: "SAGEBREW_XGBOOST_PREPARE_AFTER_MS",
  emulate: "SAGEBREW_EMULATE",
  headersTimeout: "SAGEBREW_HEADERS_TIMEOUT",
  bodyIdleTimeout: "SAGEBREW_BODY_IDLE_TIMEOUT",
  bodyTimeout: "SAGEBREW_BODY_TIMEOUT",
  maxConnections: "SAGEBREW_MAX_CONNECTIONS",
  rejectionLogLimit: "SAGEBREW_REJECTION_LOG_LIMIT",
  rendezvousPort: "SAGEBREW_RENDEZVOUS_PORT",
  trackerPort: "SAGEBREW_TRACKER_PORT",
  hostsWait: "SAGEBREW_HOSTS_WAIT_SECONDS",
  hostAddresses: "SAGEBREW_HOST_ADDRESSES",
});

/** Media types (DG cdf-inference, DG xgboost). */
export const MEDIA = Object.freeze({
  csv: "text/csv",
  libsvm: "text/libsvm",
  xLibsvm: "text/x-libsvm",
  json: "application/json",
  jsonlines: "application/jsonlines",
  recordio: "application/x-recordio-protobuf",
  parquet: "application/x-parquet",
  any: "*/*",
});

/**
 * The bare names SageMaker's XGBoost container takes for its data formats, as a training channel's
 * `ContentType` and as a request's Content-Type (`csv`, `libsvm`, …), and the media type each is
 * (DG xgboost; `data_utils.get_content_type` in github.com/aws/sagemaker-xgboost-container); its
 * multi-model handler also takes `csv` and `json` as Accept.
 */
export const BARE_MEDIA_TYPES: Readonly<Record<string, string>> = Object.freeze({
  csv: MEDIA.csv,
  libsvm: MEDIA.libsvm,
  parquet: MEDIA.parquet,
  "recordio-protobuf": MEDIA.recordio,
  json: MEDIA.json,
});

/**
 * HTTP routes of the hosting, batch and multi-model contracts (DG your-algorithms-inference-code,
 * DG your-algorithms-batch-code, DG mms-container-apis).
 */
export const ROUTES = Object.freeze({
  ping: "/ping",
  invocations: "/invocations",
  executionParameters: "/execution-parameters",
  models: "/models",
});

/** HTTP headers of the runtime API that reach the container (DG your-algorithms-inference-code). */
export const HEADERS = Object.freeze({
  customAttributes: "x-amzn-sagemaker-custom-attributes",
  targetModel: "x-amzn-sagemaker-target-model",
});

/** Limits and defaults (DG your-algorithms-inference-code, DG your-algorithms-batch-code). */
export const LIMITS = Object.freeze({
  defaultPort: 8080,
  /** Real-time request body limit of the current runtime API: 6 MiB. */
  defaultMaxPayloadMb: 6,
  defaultInvocationTimeoutSeconds: 60,
  pingTimeoutSeconds: 2,
  hostingStopGraceSeconds: 30,
  trainingStopGraceSeconds: 120,
  /** Multi-host training: SageMaker's XGBoost container's first and second rendezvous ports. */
  rendezvousPort: 9099,
  trackerPort: 9100,
  /** How long SageMaker's XGBoost container waits for every host name to resolve. */
  hostsWaitSeconds: 900,
  /**
   * How long a client may take to send a request, as nginx's `client_header_timeout` and
   * `client_body_timeout` (between two reads) default to; the whole body within 600 s, the
   * default time SageMaker's batch transform waits for an invocation (§2.7, docs/serving.md).
   */
  defaultHeadersTimeoutSeconds: 60,
  defaultBodyIdleTimeoutSeconds: 60,
  defaultBodyTimeoutSeconds: 600,
  /** Open connections served (SMC's gevent gunicorn takes 1000 per worker, §2.7). */
  defaultMaxConnections: 1000,
  /** Rejected requests logged in full per minute. */
  defaultRejectionLogLimit: 10,
  /** Start-up ms spent, at most, on a handler's warm-up requests (`SAGEBREW_WARMUP_MS`). */
  defaultWarmupMs: 500,
});

/** Names of the XGBoost algorithm's artifacts (DG xgboost). */
export const XGBOOST_MODEL_FILE = "xgboost-model";

/** One environment variable sagebrew reads: the source of `docs/reference/env.md`. */
export interface EnvDoc {
  readonly name: string;
  readonly program: "train" | "serve" | "train, serve" | "all";
  readonly default: string;
  readonly meaning: string;
}

/** Every environment variable sagebrew reads, with its default and meaning. */
export const ENV_REFERENCE: readonly EnvDoc[] = [
  {
    name: ENV.baseDir,
    program: "train, serve",
    default: "/opt/ml",
    meaning: "Root of the SageMaker tree (local runs point it at a test dir).",
  },
  {
    name: ENV.bindToPort,
    program: "serve",
    default: "8080",
    meaning: "Port to listen on; 0 picks a free port (logged).",
  },
  {
    name: ENV.bindAddress,
    program: "serve",
    default: "all interfaces",
    meaning:
      "IP address to listen on. A container listens on every interface (the platform publishes its port); `sagebrew local` and `sagebrew transform` set 127.0.0.1 for the `serve` processes they start on this machine, so that only this machine reaches them.",
  },
  {
    name: ENV.safePortRange,
    program: "serve",
    default: "unset",
    meaning: "Inclusive range `XXXX-YYYY` for any extra port.",
  },
  {
    name: ENV.defaultAccept,
    program: "serve",
    default: "text/csv (application/json on a multi-model endpoint)",
    meaning: "Response type when Accept is missing or `*/*`.",
  },
  {
    name: ENV.workers,
    program: "serve",
    default: "CPU count",
    meaning: "Concurrent native predictions (threads sharing one model).",
  },
  {
    name: ENV.timeout,
    program: "serve",
    default: "60",
    meaning: "Seconds an invocation may take before it is answered with an error.",
  },
  {
    name: ENV.maxPayloadMb,
    program: "serve",
    default: "6",
    meaning: "Request body limit in MiB (413 above it); reported by /execution-parameters.",
  },
  {
    name: ENV.maxContentLength,
    program: "serve",
    default: "unset",
    meaning:
      "Request body limit in bytes, as SageMaker's XGBoost container reads it; when set it wins over SAGEMAKER_MAX_PAYLOAD_IN_MB.",
  },
  {
    name: ENV.multiModel,
    program: "serve",
    default: "false",
    meaning: "`true` serves the multi-model endpoint contract from /opt/ml/models.",
  },
  { name: ENV.batch, program: "serve", default: "false", meaning: "Set by batch transform." },
  {
    name: ENV.batchStrategy,
    program: "serve",
    default: "MULTI_RECORD",
    meaning: "Reported by /execution-parameters.",
  },
  {
    name: ENV.maxConcurrentTransforms,
    program: "serve",
    default: "workers",
    meaning: "Reported by /execution-parameters.",
  },
  {
    name: ENV.inferenceOutput,
    program: "serve",
    default: "unset",
    meaning: "Comma list of output keys (predicted_label, probabilities, …) for XGBoost answers.",
  },
  {
    name: ENV.inferenceEnsemble,
    program: "serve",
    default: "true",
    meaning: "Average every model file in the model dir; `false` uses the first.",
  },
  {
    name: ENV.containerLogLevel,
    program: "all",
    default: "info",
    meaning: "Log level (debug, info, warn, error, or Python's 10-40).",
  },
  {
    name: ENV.logLevel,
    program: "all",
    default: "info",
    meaning: "Log level when SAGEMAKER_CONTAINER_LOG_LEVEL is unset.",
  },
  {
    name: ENV.xgboostLibrary,
    program: "all",
    default: "libxgboost.so.0",
    meaning: "Path of the libxgboost shared library to load.",
  },
  {
    name: ENV.handler,
    program: "serve",
    default: "unset",
    meaning:
      "Module path of a custom model handler (else model/code/handler.js, else the project's `sagebrew.handler`, else XGBoost).",
  },
  {
    name: ENV.algorithm,
    program: "train",
    default: "unset",
    meaning:
      "Module path of a custom training algorithm (else the project's `sagebrew.algorithm`, else XGBoost).",
  },
  {
    name: ENV.project,
    program: "train, serve",
    default: "unset",
    meaning:
      "Directory of a project whose `package.json` declares its own code (`sagebrew.algorithm`, `sagebrew.handler`); images set /opt/program.",
  },
  {
    name: ENV.mmeMemoryMb,
    program: "serve",
    default: "50% of memory",
    meaning:
      "Multi-model endpoints: MiB of loaded model files (sizes on disk) above which a load answers 507.",
  },
  {
    name: ENV.xgboostJs,
    program: "serve",
    default: "auto",
    meaning:
      "Which code walks XGBoost trees: `auto` (libxgboost from the first request; per request size, the JavaScript walker timed fastest once it is checked against libxgboost and warm), `large` (a JavaScript walker for every size, untimed), `off` (libxgboost only).",
  },
  {
    name: ENV.xgboostPrepareAfterMs,
    program: "serve",
    default: "per model",
    meaning:
      "Milliseconds libxgboost spends predicting for a model before its JavaScript walkers are prepared (with `SAGEBREW_XGBOOST_JS=auto` or `large`): by default 0 (at once) for a model file of at most 1 MiB on a live server, else about what preparing them costs (2 per tree or 200 per MiB of the file, whichever is more, and at least 500), so that a server that never predicts that much never pays for them; `0`: at once.",
  },
  {
    name: ENV.warmupMs,
    program: "serve",
    default: "500",
    meaning:
      "Milliseconds of start-up, at most, spent sending the handler's warm-up requests (the built-in XGBoost handler's: CSV bodies of 1, 100 and 1,000 rows) through the invocation path before `/ping` says 200, so that the first requests run optimised code; `0`: none.",
  },
  {
    name: ENV.emulate,
    program: "train, serve",
    default: "unset",
    meaning:
      "`sagemaker-xgboost:<version>` (0.90-1 … 1.7-1, 3.0-5): train and serve as that version of SageMaker's built-in XGBoost image — accept and reject what it does, with its failure texts (`ClientError:`/`AlgorithmError:`); set by `sagebrew local` for SageMaker's XGBoost image URIs (docs/compatibility.md).",
  },
  {
    name: ENV.headersTimeout,
    program: "serve",
    default: "60",
    meaning: "Seconds a client has to send a request's line and headers; later, 408.",
  },
  {
    name: ENV.bodyIdleTimeout,
    program: "serve",
    default: "60",
    meaning: "Seconds a request body may go without a byte arriving; then 408.",
  },
  {
    name: ENV.bodyTimeout,
    program: "serve",
    default: "600",
    meaning:
      "Seconds a whole request body may take to arrive, however steadily it trickles; then 408 (0: no limit).",
  },
  {
    name: ENV.maxConnections,
    program: "serve",
    default: "1000",
    meaning:
      "Open connections served; a request on a connection over the cap gets 503 and the connection is closed (`/ping` is still answered).",
  },
  {
    name: ENV.rejectionLogLimit,
    program: "serve",
    default: "10",
    meaning:
      "Rejected requests (4xx, timeouts, malformed HTTP) logged in full per minute; the rest are counted in one summary line a minute.",
  },
  {
    name: ENV.rendezvousPort,
    program: "train",
    default: "9099",
    meaning:
      "Multi-host training: the port on the first host where every host says whether it has data and keeps a control connection.",
  },
  {
    name: ENV.trackerPort,
    program: "train",
    default: "9100",
    meaning:
      "Multi-host training: the port of the XGBoost tracker on the first host; 0: any free port, which the first host tells the others.",
  },
  {
    name: ENV.hostsWait,
    program: "train",
    default: "900",
    meaning:
      "Multi-host training: seconds to wait for every host name to resolve, and again for every host to connect.",
  },
  {
    name: ENV.hostAddresses,
    program: "train",
    default: "unset",
    meaning:
      "Multi-host training: `host=address,…` pairs used instead of DNS (set by `sagebrew train --instance-count` for its loopback hosts).",
  },
];
