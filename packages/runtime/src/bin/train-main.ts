/**
 * The composition root of `train`: picks the algorithm (a custom one from `SAGEBREW_ALGORITHM` or
 * the project's declaration, else XGBoost) and runs it under the training contract. Shared by the
 * container's `train` and `sagebrew train`.
 */
import { createXGBoostAlgorithm } from "../algorithms/xgboost/algorithm.js";
import { defaultCodecs } from "../codecs/builtin.js";
import { readEmulation } from "../config/emulate.js";
import { ENV } from "../contract/index.js";
import { toSagebrewError } from "../errors/index.js";
import { type ProjectDeclaration, readProject } from "../project/index.js";
import {
  EXIT,
  exitCodeOf,
  resolveAlgorithm,
  runTraining,
  type TrainingOutcome,
  type TrainingReporter,
  writeFailure,
} from "../training/index.js";

/** Options of `runTrain`. */
export interface RunTrainOptions {
  /** Root of the `/opt/ml`-shaped tree. */
  readonly root: string;
  readonly reporter: TrainingReporter;
  /** Aborted on SIGTERM. */
  readonly signal?: AbortSignal;
  /** The environment (`SAGEBREW_ALGORITHM`, `SAGEBREW_PROJECT`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The project whose code trains; default the one `SAGEBREW_PROJECT` names, if any. */
  readonly project?: ProjectDeclaration;
  /** See `RunTrainingOptions.graceMs`. */
  readonly graceMs?: number;
  /** See `RunTrainingOptions.hyperparameters`. */
  readonly hyperparameters?: Readonly<Record<string, string>>;
}

/**
 * Runs `train` as the container does. Resolves with the outcome; never throws for job errors.
 *
 * @example const { exitCode } = await runTrain({ root: "/opt/ml", reporter });
 */
export async function runTrain(options: RunTrainOptions): Promise<TrainingOutcome & { source?: string }> {
  const env = options.env ?? process.env;
  let resolved: Awaited<ReturnType<typeof resolveAlgorithm>>;
  let emulating = false;
  try {
    const emulation = readEmulation(env);
    const projectDir = env[ENV.project];
    const project = options.project ?? (projectDir ? await readProject(projectDir) : undefined);
    resolved = await resolveAlgorithm({
      algorithmModule: env[ENV.algorithm] || undefined,
      projectAlgorithm: project?.algorithm,
      builtin: () =>
        createXGBoostAlgorithm(
          emulation
            ? {
                emulate: {
                  version: emulation.version,
                  root: options.root,
                  ...(options.hyperparameters ? { hyperparameters: options.hyperparameters } : {}),
                },
              }
            : {},
        ),
    });
    // SAGEBREW_EMULATE describes SageMaker's XGBoost image: it changes the built-in algorithm only.
    emulating = emulation !== undefined && resolved.source === resolved.algorithm.name;
    if (emulation && !emulating)
      options.reporter.warn(
        `${ENV.emulate} applies to the built-in XGBoost algorithm only; ${resolved.source} runs as it is`,
      );
    if (emulating)
      options.reporter.info(
        `training as SageMaker's XGBoost image ${emulation!.version} would (${ENV.emulate})`,
      );
  } catch (e) {
    // The algorithm cannot be loaded: the job fails as any other would, with the failure file.
    const error = toSagebrewError(e);
    const failure = await writeFailure(options.root, error);
    if (!failure.written) return { exitCode: EXIT.internal, error, failureNotWritten: failure.reason };
    return { exitCode: exitCodeOf(error), error };
  }
  if (resolved.source !== resolved.algorithm.name) {
    options.reporter.info(`algorithm ${resolved.algorithm.name} from ${resolved.source}`);
  }
  const outcome = await runTraining({
    root: options.root,
    algorithm: resolved.algorithm,
    reporter: options.reporter,
    codecs: defaultCodecs(),
    ...(emulating ? { failure: { sageMakerPrefix: true } } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.hyperparameters ? { hyperparameters: options.hyperparameters } : {}),
  });
  return { ...outcome, source: resolved.source };
}
