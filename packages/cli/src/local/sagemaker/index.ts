/**
 * `sagebrew local`: SageMaker's control plane, runtime and CloudWatch Logs reads on one local
 * port, backed by real training jobs, endpoints (real-time, serverless, asynchronous) and transform
 * jobs on this machine, with state under a directory that survives restarts.
 */
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { listenError, readHttpLimits } from "@sagebrew/runtime/core";
import { VERSION } from "../../version.js";
import { openLocalS3 } from "../s3/index.js";
import { awsRoute, refuseInProtocol } from "../services/index.js";
import { DEFAULT_ACCOUNT } from "../sts/index.js";
import { AsyncQueue } from "./engines/async/index.js";
import {
  containerEngineCli,
  ProcessRegistry,
  planImage,
  type RuntimePrograms,
  runtimePrograms,
} from "./engines/containers/index.js";
import { EndpointManager } from "./engines/endpoints/index.js";
import { TrainingRunner } from "./engines/training/index.js";
import { TransformRunner } from "./engines/transform/index.js";
import { TuningRunner } from "./engines/tuning/index.js";
import { LogStore, runLogsOperation } from "./logs/index.js";
import { allowedHostName, checkBinding, createFront, isLoopbackAddress } from "./protocol/index.js";
import {
  checkDocument,
  createLedgers,
  runSageMakerOperation,
  type Services,
  trialJob,
} from "./resources/index.js";
import { createRuntimeRoute } from "./runtime/index.js";
import { lockStateDir, ResourceStore } from "./state/index.js";
import { createStorage, type S3Limits } from "./storage/index.js";

export { extractModelArchive, packModelArchive } from "../model-archive.js";
export { isBuiltinXGBoostImage } from "./engines/containers/index.js";
export { ApiError, allowedHostName, checkBinding } from "./protocol/index.js";

/** The default port of `sagebrew local`. */
export const DEFAULT_LOCAL_PORT = 8081;

export interface LocalSageMakerOptions {
  /** Port to listen on (0 picks a free one). Default 8081. */
  readonly port?: number;
  /** Interface to bind. Default 127.0.0.1; another than loopback needs `allowHosts`. */
  readonly host?: string;
  /**
   * Host names (or addresses) requests may be addressed to besides loopback ones (`--allow-host`);
   * their pages' origins are allowed too. Default none.
   */
  readonly allowHosts?: readonly string[];
  /** The state directory (resources, job files, logs). */
  readonly stateDir: string;
  /** The environment: S3 endpoint and credentials, container engine, what programs inherit. */
  readonly env: NodeJS.ProcessEnv;
  /** The runtime's programs (default: those of the installed @sagebrew/runtime). */
  readonly programs?: RuntimePrograms;
  /** SIGTERM → SIGKILL grace when stopping a training job (SageMaker: 120 s). */
  readonly trainingStopGraceMs?: number;
  /** How long an endpoint's container has to answer an invocation (SageMaker: 60 s). */
  readonly invocationTimeoutMs?: number;
  /** Time limits and tries of S3 requests (default: connect 10 s, answer and idle 60 s, 3 tries). */
  readonly s3?: Partial<S3Limits>;
  /** How long a request's check of its data waits for storage before going on unchecked (default 10 s). */
  readonly storageCheckMs?: number;
  /** The 12-digit account STS answers and ARNs name (default 123456789012, `--account`). */
  readonly account?: string;
  /** Where the server's own messages go (one line each). */
  readonly log: (line: string) => void;
}

/** A running `sagebrew local`. */
export interface LocalSageMaker {
  readonly url: string;
  readonly port: number;
  readonly stateDir: string;
  /** Stops accepting requests, stops jobs and endpoints, writes everything down. */
  close(): Promise<void>;
}

/** The host of the URL `sagebrew local` prints: one the guard lets through, reaching `host`. */
function shownHost(host: string, allowHosts: readonly string[]): string {
  // Every interface (0.0.0.0, ::) includes loopback.
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  const name = allowedHostName(host);
  return isLoopbackAddress(host) || allowHosts.includes(name) ? name : (allowHosts[0] ?? name);
}

/**
 * Starts `sagebrew local`.
 *
 * @throws SagebrewError SB_LISTEN when the port cannot be bound (in use, not allowed); Error when the
 *   state directory is in use, an allowed host is not a host name, or `host` is not loopback and no
 *   host is allowed.
 * @example const local = await startLocalSageMaker({ stateDir: ".sagebrew/local", env: process.env, log: console.error });
 */
export async function startLocalSageMaker(options: LocalSageMakerOptions): Promise<LocalSageMaker> {
  const host = options.host ?? "127.0.0.1";
  const allowHosts = (options.allowHosts ?? []).map(allowedHostName);
  checkBinding(host, allowHosts);
  const stateDir = resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true });
  const lock = await lockStateDir(stateDir);
  try {
    return await start(options, stateDir, host, allowHosts, () => lock.release());
  } catch (e) {
    // Nothing runs: the directory is free for a retry.
    await lock.release();
    throw e;
  }
}

/** Everything after the lock: stores, engines, the listener. */
async function start(
  options: LocalSageMakerOptions,
  stateDir: string,
  host: string,
  allowHosts: readonly string[],
  unlock: () => Promise<void>,
): Promise<LocalSageMaker> {
  const warn = (m: string) => options.log(`sagebrew local: ${m}`);
  const now = () => Date.now() / 1000;
  const store = await ResourceStore.open(stateDir, { warn, check: checkDocument });
  const ledgers = createLedgers({ store, now, warn });
  const logs = await LogStore.open(stateDir);
  const account = options.account ?? DEFAULT_ACCOUNT;
  // S3 on this port, under the state directory: where s3:// URIs go unless AWS_ENDPOINT_URL_S3 says.
  const s3 = await openLocalS3({ dir: join(stateDir, "s3"), account, warn });
  const storage = createStorage({
    env: options.env,
    localS3: s3.access,
    ...(options.s3 ? { s3: options.s3 } : {}),
  });
  const engine = containerEngineCli(options.env);
  const registry = new ProcessRegistry(stateDir);
  const reaped = await registry.reapOrphans(engine.command, options.env);
  if (reaped) warn(`stopped ${reaped} container(s) left running by an earlier sagebrew local`);
  const programs = options.programs ?? runtimePrograms();
  const containers = { programs, engineCommand: engine.command, baseEnv: options.env };
  const training = new TrainingRunner({
    jobs: ledgers.trainingJob,
    logs,
    storage,
    containers,
    registry,
    workDir: join(stateDir, "training-jobs"),
    now,
    ...(options.trainingStopGraceMs !== undefined ? { stopGraceMs: options.trainingStopGraceMs } : {}),
    warn,
  });
  const endpoints = new EndpointManager({
    endpoints: ledgers.endpoint,
    logs,
    storage,
    containers,
    registry,
    planImage: (image) => planImage(image, engine),
    workDir: join(stateDir, "endpoints"),
    now,
    warn,
  });
  const transforms = new TransformRunner({
    jobs: ledgers.transformJob,
    logs,
    storage,
    programs,
    workDir: join(stateDir, "transform-jobs"),
    now,
    env: options.env,
    warn,
  });
  const tuning = new TuningRunner({
    jobs: ledgers.tuningJob,
    trainingJobs: ledgers.trainingJob,
    training,
    createTrainingJob: (doc) => store.create("training-job", doc),
    trialJob,
    now,
    warn,
  });
  const services: Services = {
    store,
    logs,
    storage,
    training,
    endpoints,
    transforms,
    tuning,
    planImage: (image) => planImage(image, engine),
    now,
    maxInstances: Number(options.env.SAGEBREW_LOCAL_MAX_INSTANCES) || 8,
    account,
    storageCheckMs: options.storageCheckMs ?? 10_000,
  };
  const asyncQueue = await AsyncQueue.open({
    endpoints,
    storage,
    logs,
    dir: join(stateDir, "async-invocations"),
    warn,
  });
  await training.recover();
  await transforms.recover();
  // After the training jobs: a tuning job records how its interrupted trials ended, and goes on.
  await tuning.recover();
  const front = createFront({
    services: {
      SageMaker: (operation, body, region) => runSageMakerOperation(operation, body, { ...services, region }),
      Logs_20140328: (operation, body, region) =>
        runLogsOperation(operation, body, logs, { region, account }),
    },
    runtime: createRuntimeRoute(endpoints, {
      storage,
      asyncQueue,
      account,
      warn,
      ...(options.invocationTimeoutMs !== undefined
        ? { invocationTimeoutMs: options.invocationTimeoutMs }
        : {}),
    }),
    aws: awsRoute({ s3, account }),
    refuseOther: refuseInProtocol,
    identity: VERSION,
    warn,
    limits: readHttpLimits(options.env),
    allowHosts,
  });
  const { server } = front;
  const wanted = options.port ?? DEFAULT_LOCAL_PORT;
  try {
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(wanted, host, () => {
        server.off("error", fail);
        done();
      });
    });
  } catch (e) {
    // Nothing started yet: leave the state as it was found, and the directory free for a retry.
    await Promise.all([tuning.close(), training.close(0), transforms.close()]);
    await logs.flush();
    await store.flush();
    throw listenError(e, wanted, host) ?? e;
  }
  await endpoints.recover();
  // Invocations left queued run once their endpoints are back (or fail, saying why they are not).
  asyncQueue.start();
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost(host, allowHosts)}:${port}`,
    port,
    stateDir,
    close() {
      closing ??= (async () => {
        // Requests still arriving are answered (Connection: close) while the jobs stop; what
        // is left open after that is cut.
        const drained = front.close({ deadlineMs: 60_000 });
        // What cannot be written now (a full disk) is not waited for: a restart finds the jobs
        // still running and ends them, saying so.
        ledgers.close();
        // The queue stops first: an invocation the containers' stop cuts short stays queued.
        const queueClosed = asyncQueue.close();
        // The tuning jobs first: they start no trial, and leave their running ones to the restart.
        await Promise.all([
          tuning.close(),
          training.close(5_000),
          endpoints.close(),
          transforms.close(),
          queueClosed,
        ]);
        server.closeAllConnections();
        await drained;
        await logs.flush();
        await store.flush();
        await unlock();
      })();
      return closing;
    },
  };
}
