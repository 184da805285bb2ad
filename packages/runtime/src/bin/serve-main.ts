/**
 * The composition root of `serve`: reads the environment once, picks the handler (a custom one
 * from `SAGEBREW_HANDLER` or `model/code/handler.js`, else XGBoost), and starts the server.
 * Shared by the container's `serve` and `sagebrew serve`.
 */
import { availableParallelism } from "node:os";
import { createEmulatedXGBoostHandler } from "../algorithms/xgboost/emulate/index.js";
import { createXGBoostHandler } from "../algorithms/xgboost/handler.js";
import { readEmulation } from "../config/emulate.js";
import { readServingConfig, type ServingConfig } from "../config/serving.js";
import { ENV, mlPaths } from "../contract/index.js";
import { listenError } from "../errors/index.js";
import { createLogger, type Logger } from "../node/logger.js";
import { readProject } from "../project/index.js";
import { resolveHandler } from "../serving/load-handler.js";
import { createMultiModelApp } from "../serving/multi-model.js";
import { type RunningServer, startServer } from "../serving/server.js";
import { XGBoostPool } from "../xgboost/index.js";

/** Options of `runServe`. */
export interface RunServeOptions {
  /** The environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A logger; default JSON lines on stderr at the configured level. */
  logger?: Logger;
  /** Interface to bind (default `SAGEBREW_BIND_ADDRESS`, else all). */
  host?: string;
  /** The model directory (default `<SAGEMAKER_BASE_DIR>/model`), for `sagebrew serve <model dir>`. */
  modelDir?: string;
}

/**
 * Starts `serve` as the container does; resolves once listening (the model loads in the background).
 *
 * @throws SagebrewError SB_ENV_INVALID or SB_HANDLER_INVALID before listening; SB_LISTEN when the
 *   port is in use or not allowed.
 * @example const server = await runServe({ env: { ...process.env, SAGEMAKER_BASE_DIR: dir } });
 */
export async function runServe(
  options: RunServeOptions = {},
): Promise<RunningServer & { config: ServingConfig; logger: Logger }> {
  const env = options.env ?? process.env;
  const config = readServingConfig(env, { cpuCount: availableParallelism() });
  const logger = options.logger ?? createLogger({ level: config.logLevel, fields: { program: "serve" } });
  const host = options.host ?? config.bindAddress;
  if (config.multiModel)
    return Object.assign(await serveMultiModel(config, logger, host, env), { config, logger });
  const modelDir = options.modelDir ?? mlPaths(config.baseDir).modelDir;
  const projectDir = env[ENV.project];
  const project = projectDir ? await readProject(projectDir) : undefined;
  // SAGEBREW_EMULATE: the built-in handler answers as that version of SageMaker's image does.
  const emulation = readEmulation(env);
  const { handler, source } = await resolveHandler({
    handlerModule: config.handlerModule,
    modelDir,
    projectHandler: project?.handler,
    builtin: () => (emulation ? createEmulatedXGBoostHandler(emulation.version) : createXGBoostHandler()),
  });
  logger.info("starting", {
    handler: source,
    modelDir,
    port: config.port,
    ...(emulation ? { emulate: `${emulation.image}:${emulation.version}` } : {}),
  });
  const server = await listening(
    startServer(handler, {
      config,
      logger,
      modelDir,
      ...(host === undefined ? {} : { host }),
    }),
    config.port,
    host,
  );
  return Object.assign(server, { config, logger });
}

/** `SAGEMAKER_MULTI_MODEL=true`: the `/models` routes; every XGBoost model shares one thread pool. */
async function serveMultiModel(
  config: ServingConfig,
  logger: Logger,
  host: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
) {
  const pool = new XGBoostPool(config.workers);
  const projectDir = env[ENV.project];
  const project = projectDir ? await readProject(projectDir) : undefined;
  const app = createMultiModelApp({
    config,
    logger,
    handlerFor: async (modelDir) => {
      const builtin = () => createXGBoostHandler({ pool });
      return (
        await resolveHandler({
          handlerModule: config.handlerModule,
          modelDir,
          projectHandler: project?.handler,
          builtin,
        })
      ).handler;
    },
    onStopped: () => pool.close(),
  });
  logger.info("starting", {
    multiModel: true,
    modelsDir: mlPaths(config.baseDir).multiModelDir,
    port: config.port,
  });
  return listening(
    startServer(undefined, { config, logger, app, ...(host === undefined ? {} : { host }) }),
    config.port,
    host,
  );
}

/**
 * Awaits a server's start; a listen failure (port in use, not allowed) becomes one sentence naming
 * the port, so `serve` and `sagebrew serve` print it instead of a stack trace.
 *
 * @throws SagebrewError SB_LISTEN.
 */
async function listening<T>(start: Promise<T>, port: number, host: string | undefined): Promise<T> {
  try {
    return await start;
  } catch (e) {
    throw listenError(e, port, host) ?? e;
  }
}
