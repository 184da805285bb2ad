/**
 * `sagebrew tune DIR` without `--instance-type`: a tuning job on this machine. The tuning core's
 * state machine proposes the trials; each runs as `sagebrew train DIR --instance-count` runs a
 * host — a process of the runtime's `train` program on a trial tree of its own
 * (`DIR/.sagebrew/tuning/<name>/trials/<training job>/`, channels linked, not copied) — its log
 * lines feed the objective back to the machine, which may stop it (SIGTERM, as SageMaker stops a
 * job: it ends after the current round), and at the end the best trial's model is copied to
 * `DIR/model` with the pictures and the leaderboard beside the results.
 *
 * Threads: trials share this machine's cores. Each trial process gets OMP_NUM_THREADS =
 * max(1, floor(cores / P)), P the trials that run at once (MaxParallelTrainingJobs, at most the
 * job count), so that P trials together use about every core once instead of each spinning up
 * a thread per core and fighting over them.
 */
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { type MetricDefinition, SagebrewError } from "@sagebrew/runtime/core";
import { runLocalHosts } from "../local/hosts/index.js";
import { trainProgram } from "../train-program.js";
import {
  defaultTuningJobName,
  leaderboardLines,
  metricReader,
  type TrialState,
  type TrialSummary,
  TuningMachine,
  type TuningOptions,
  type TuningSpec,
  type TuningSummary,
  tuningRequest,
  tuningSpec,
} from "../tuning/index.js";
import {
  channelsOf,
  copyModel,
  jobPaths,
  prepareTrial,
  readParents,
  writeJson,
  writeWhole,
} from "./_files.js";
import { drawTuningPictures } from "./pictures.js";

/** What happens while the job runs, for a terminal or a program to show. */
export interface TuningEvents {
  /** A status line. */
  info?(line: string): void;
  /** Once, when the job starts: its spec, and its leaderboard as it stands at any moment. */
  jobStarted?(job: {
    readonly name: string;
    readonly spec: TuningSpec;
    readonly threadsPerTrial: number;
    leaderboard(): string[];
  }): void;
  trialStarted?(trial: TrialState, hyperParameters: Readonly<Record<string, string>>): void;
  /** The objective read from a trial's log at an epoch. */
  objective?(trial: TrialState, epoch: number, value: number): void;
  /** A trial ended; `best` is the job's best so far. */
  trialEnded?(trial: TrialSummary, best: TrialSummary | undefined): void;
  /** Every line a trial prints. */
  line?(trial: string, stream: "stdout" | "stderr", line: string): void;
}

export interface LocalTuningOptions extends TuningOptions {
  /** The `/opt/ml`-shaped directory `sagebrew train` takes. */
  readonly dir: string;
  /** Hyperparameters added to (or replacing) those of `input/config/hyperparameters.json`. */
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** Metric definitions for an algorithm's own metrics (the built-in XGBoost ones need none). */
  readonly metricDefinitions?: readonly MetricDefinition[];
  /** A training algorithm module (as `sagebrew train --algorithm`). */
  readonly algorithm?: string;
  /** Threads per trial (OMP_NUM_THREADS; default: the cores shared among the parallel trials). */
  readonly threadsPerTrial?: number;
  /** The seed when `randomSeed` is not given (default: a random one, recorded in the state). */
  readonly seed?: number;
  /** Copy the best trial's model to `DIR/model` (default true). */
  readonly copyBestModel?: boolean;
  /** Aborting stops the tuning job: every running trial is stopped after its current round. */
  readonly signal?: AbortSignal;
  readonly events?: TuningEvents;
}

export interface LocalTuningResult {
  readonly name: string;
  /** `DIR/.sagebrew/tuning/<name>/`. */
  readonly resultsDir: string;
  readonly summary: TuningSummary;
  /** Every trial, in start order. */
  readonly trials: readonly TrialSummary[];
  /** `DIR/model` when the best trial's model was copied there. */
  readonly modelDir?: string;
  readonly pictures: readonly string[];
  readonly leaderboard: readonly string[];
  readonly threadsPerTrial: number;
  readonly seconds: number;
}

/** How many OpenMP threads each of `parallel` trials gets on `cores` cores. */
export function threadsPerTrial(cores: number, parallel: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, parallel)));
}

/**
 * Runs a tuning job on this machine and resolves once it has ended.
 *
 * @throws SagebrewError SB_TUNING for a job SageMaker would refuse, SB_USAGE for a directory that
 *   is not a training directory.
 * @example
 * const r = await runLocalTuning({
 *   dir: "local_test/test_dir", objective: "validation:mlogloss", maxJobs: 12, maxParallel: 2,
 *   ranges: [{ kind: "Continuous", name: "eta", min: 0.05, max: 0.5, scaling: "Logarithmic" }],
 * });
 * console.log(r.summary.best?.hyperParameters);
 */
export async function runLocalTuning(options: LocalTuningOptions): Promise<LocalTuningResult> {
  const started = performance.now();
  const dir = resolve(options.dir);
  if (!existsSync(join(dir, "input", "config")))
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot tune in ${dir}: it has no input/config/ (a training directory is shaped like /opt/ml: input/config/hyperparameters.json and input/data/<channel>/)`,
    );
  const events = options.events ?? {};
  const { readDirectoryJob, jobMetricDefinitions } = await import("../sagemaker/training-request.js");
  const fromDir = await readDirectoryJob(dir);
  const statics = { ...fromDir.hyperparameters, ...options.hyperparameters };
  const channels = await channelsOf(dir);
  const name = options.name ?? defaultTuningJobName(basename(dir), new Date());
  const objectiveName =
    typeof options.objective === "string"
      ? options.objective.replace(/:(max|min|maximize|minimize)$/i, "")
      : options.objective.metricName;
  const definitions =
    options.metricDefinitions ??
    jobMetricDefinitions({ ...statics, _tuning_objective_metric: objectiveName }, channels).slice(0, 20);
  const request = tuningRequest(
    { ...options, name },
    { staticHyperParameters: statics, metricDefinitions: definitions },
  );
  const spec = tuningSpec(request);
  // A built-in metric is printed for the channels the job has: without that channel no trial prints it.
  const set = spec.objective.metricName.split(":")[0]!;
  const needs = set === "validation" ? ["validation"] : set === "train" ? ["train", "training"] : [];
  if (!options.metricDefinitions && needs.length > 0 && !needs.some((c) => channels.includes(c)))
    throw new SagebrewError(
      "SB_TUNING",
      `Cannot tune on ${spec.objective.metricName}: ${dir} has no ${set} channel (input/data/${set}/), so no trial would print it`,
    );
  const paths = jobPaths(dir, name);
  if (existsSync(paths.root))
    throw new SagebrewError(
      "SB_TUNING",
      `Cannot create tuning job ${name}: ${paths.root} already exists; choose another --name`,
    );
  const parents = spec.warmStart
    ? await readParents(dir, spec.warmStart.parents, spec.objective.metricName)
    : [];
  await mkdir(join(paths.root, "trials"), { recursive: true });
  await writeJson(paths.request, request);

  const machine = TuningMachine.create(spec, {
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 31),
    now: Date.now(),
    parents,
  });
  const parallel = Math.min(spec.maxParallel, spec.maxJobs);
  const threads = options.threadsPerTrial ?? threadsPerTrial(availableParallelism(), parallel);
  const { findProject } = await import("@sagebrew/runtime");
  const project = await findProject(dir);
  const env: NodeJS.ProcessEnv = {
    OMP_NUM_THREADS: String(threads),
    ...(options.algorithm ? { SAGEBREW_ALGORITHM: resolve(options.algorithm) } : {}),
    ...(project && !options.algorithm ? { SAGEBREW_PROJECT: project.dir } : {}),
  };
  const command = trainProgram();
  const read = metricReader(spec.objectiveDefinition);
  events.info?.(
    `tuning job ${name}: ${spec.strategy}, ${spec.maxJobs} training jobs, ${parallel} at a time × ${threads} thread${threads > 1 ? "s" : ""}, ${spec.objective.type === "Maximize" ? "maximising" : "minimising"} ${spec.objective.metricName} (seed ${machine.state.seed})`,
  );

  const names = spec.ranges.map((r) => r.name);
  const leaderboard = () =>
    leaderboardLines(
      machine.trials().map((t) => {
        const live = machine.trial(t.name)!;
        const last = live.curve.at(-1);
        return {
          ...t,
          ...(t.final === undefined && last !== undefined
            ? { latest: { value: last, epoch: live.curve.length } }
            : {}),
        };
      }),
      spec.objective,
      names,
    );
  events.jobStarted?.({ name, spec, threadsPerTrial: threads, leaderboard });
  let writing = Promise.resolve();
  let lastWrite = 0;
  const persist = (force: boolean) => {
    if (!force && Date.now() - lastWrite < 2000) return writing;
    lastWrite = Date.now();
    const state = JSON.stringify(machine.state);
    const summary = { ...machine.summary(), trials: machine.trials() };
    const board = leaderboard();
    writing = writing.then(async () => {
      await writeWhole(paths.state, `${state}\n`);
      await writeJson(paths.summary, summary);
      await writeWhole(paths.leaderboard, `${board.join("\n")}\n`);
    });
    return writing;
  };

  const active = new Map<string, { controller: AbortController; stopping: boolean }>();
  await new Promise<void>((done, failed) => {
    const stopWhatMust = () => {
      for (const t of machine.toStop()) {
        const entry = active.get(t.name);
        if (entry && !entry.stopping) {
          entry.stopping = true;
          entry.controller.abort();
        }
      }
    };
    const pump = () => {
      try {
        stopWhatMust();
        for (let t = machine.propose(Date.now()); t; t = machine.propose(Date.now())) start(t);
        if (machine.finished && active.size === 0) {
          clearInterval(clock);
          options.signal?.removeEventListener("abort", onAbort);
          done();
        }
      } catch (e) {
        clearInterval(clock);
        failed(e);
      }
    };
    const start = (t: TrialState) => {
      const entry = { controller: new AbortController(), stopping: false };
      active.set(t.name, entry);
      const hyperParameters = machine.hyperParametersOf(t);
      events.trialStarted?.(t, hyperParameters);
      void runTrial(t, hyperParameters, entry.controller.signal).then(
        (outcome) => {
          active.delete(t.name);
          const status =
            entry.stopping && (outcome.exitCode === 143 || outcome.exitCode === 0)
              ? "Stopped"
              : outcome.exitCode === 0
                ? "Completed"
                : "Failed";
          machine.end(t.name, {
            status,
            ...(status === "Failed" ? { failureReason: outcome.failureReason } : {}),
            now: Date.now(),
          });
          events.trialEnded?.(machine.trials().find((x) => x.name === t.name)!, machine.summary().best);
          void persist(true);
          pump();
        },
        (e: unknown) => {
          active.delete(t.name);
          machine.end(t.name, {
            status: "Failed",
            failureReason: `ClientError: ${(e as Error).message}`,
            now: Date.now(),
          });
          events.trialEnded?.(machine.trials().find((x) => x.name === t.name)!, machine.summary().best);
          void persist(true);
          pump();
        },
      );
    };
    const runTrial = async (t: TrialState, hyperParameters: Record<string, string>, signal: AbortSignal) => {
      const trialDir = paths.trial(t.name);
      await prepareTrial(dir, trialDir, hyperParameters, channels);
      const log = createWriteStream(join(trialDir, "train.log"));
      try {
        const result = await runLocalHosts({
          dir: trialDir,
          count: 1,
          command,
          env,
          signal,
          onLine: (_host, stream, line) => {
            log.write(`${line}\n`);
            events.line?.(t.name, stream, line);
            const value = read(line);
            if (value === undefined) return;
            const decision = machine.observe(t.name, value);
            events.objective?.(machine.trial(t.name)!, machine.trial(t.name)!.curve.length, value);
            if (decision === "stop") stopWhatMust();
            void persist(false);
          },
        });
        const host = result.hosts[0];
        const kind = result.exitCode === 1 ? "ClientError" : "AlgorithmError";
        return {
          exitCode: result.exitCode,
          failureReason: `${kind}: ${host?.failure ?? `the train program exited with ${host?.exitCode ?? host?.signal}`}`,
        };
      } finally {
        await new Promise<void>((r) => log.end(r));
        // The host's copy of the channels (runLocalHosts copies, or reflinks, each file) is not
        // kept: the trial's tree links the directory's own data, and fifty trials of a large data
        // set would otherwise hold fifty copies.
        await rm(join(trialDir, ".sagebrew", "hosts", "algo-1", "input", "data"), {
          recursive: true,
          force: true,
        });
      }
    };
    const onAbort = () => {
      machine.stop(Date.now());
      pump();
    };
    const clock = setInterval(() => {
      machine.tick(Date.now());
      pump();
    }, 1000);
    if (options.signal?.aborted) machine.stop(Date.now());
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    pump();
  });
  await persist(true);

  const summary = machine.summary();
  const trials = machine.trials();
  const pictures = await drawTuningPictures(paths.root, {
    title: name,
    metric: spec.objective.metricName,
    maximize: spec.objective.type === "Maximize",
    ranges: spec.ranges,
    trials,
  });
  let modelDir: string | undefined;
  if (summary.best && options.copyBestModel !== false) {
    if (await copyModel(paths.trial(summary.best.name), dir)) modelDir = join(dir, "model");
    else
      events.info?.(
        `the best training job ${summary.best.name} left no model (it was stopped before saving one)`,
      );
  }
  return {
    name,
    resultsDir: paths.root,
    summary,
    trials,
    ...(modelDir ? { modelDir } : {}),
    pictures,
    leaderboard: leaderboard(),
    threadsPerTrial: threads,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Tunes hyperparameters on this machine as a SageMaker tuning job would (the typed face of
 * `sagebrew tune DIR` without `--instance-type`): the strategies, limits, early stopping and
 * completion criteria of CreateHyperParameterTuningJob, each training job a run of the runtime's
 * `train` program, results under `DIR/.sagebrew/tuning/<name>/` and the best model in `DIR/model`.
 *
 * @throws SagebrewError SB_TUNING for a job SageMaker would refuse (the rule named), SB_USAGE for a
 *   directory that is not a training directory.
 * @example
 * import { tune } from "sagebrew";
 * const result = await tune({
 *   dir: "local_test/tune_dir",
 *   objective: "validation:mlogloss",
 *   strategy: "Bayesian",
 *   ranges: [
 *     { kind: "Continuous", name: "eta", min: 0.05, max: 0.5, scaling: "Logarithmic" },
 *     { kind: "Integer", name: "max_depth", min: 2, max: 6, scaling: "Auto" },
 *   ],
 *   maxJobs: 12,
 *   maxParallel: 2,
 * });
 * console.log(result.summary.best?.hyperParameters, result.modelDir);
 */
export function tune(options: LocalTuningOptions): Promise<LocalTuningResult> {
  return runLocalTuning(options);
}
