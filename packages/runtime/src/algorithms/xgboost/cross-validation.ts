/**
 * k-fold cross-validation as SageMaker's XGBoost container runs it for `_kfold` and
 * `_num_cv_round` (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html; upstream train.py, prediction_utils.py in https://github.com/aws/sagemaker-xgboost-container): train and validation
 * are read as one data set, split `_kfold` ways (stratified by label for classification, as
 * scikit-learn's RepeatedStratifiedKFold does), `_num_cv_round` times; one model per fold, saved as
 * `xgboost-model-0…` (served as an ensemble), and every row's out-of-fold prediction, averaged over
 * the repeats, in `output/data/predictions.csv`. Where sagebrew does it differently (seeded splits,
 * metrics on each fold's own rows, probabilities for every classification objective) is in
 * docs/compatibility.md.
 */
import { concatDatasets, selectRows } from "../../codecs/concat.js";
import type { Dataset } from "../../codecs/types.js";
import { SagebrewError } from "../../errors/index.js";
import type { MetricValue, TrainingContext, TrainOutput } from "../../training/index.js";
import type { Booster } from "../../xgboost/index.js";
import type { ModelFacts } from "./_model.js";
import { foldModelFiles } from "./_model.js";
import type { XGBoostHyperparameters, XGBoostTrainingParams } from "./hyperparameters.js";
import { type RoundReport, trainXGBoost } from "./train.js";

type Labelled = Dataset & { labels: Float32Array };

/** One fold of one repeat: the rows it holds out (ascending). */
export interface Fold {
  readonly repeat: number;
  readonly index: number;
  readonly validation: Uint32Array;
}

/** A small seeded generator (mulberry32): the same seed gives the same splits everywhere. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(a: number[], next: () => number): number[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * The folds of `repeats` shuffled k-fold splits of `rows` rows, seeded. With `strata` (one label
 * per row) each fold gets its share of every class, dealt as scikit-learn's StratifiedKFold deals
 * them (rows ordered by class, then round-robin over the folds); without, contiguous runs of a
 * shuffled order, the first `rows % k` folds one row longer (scikit-learn's KFold).
 *
 * @throws SagebrewError SB_HYPERPARAMETER when there are fewer rows than folds.
 */
export function kFoldSplits(
  rows: number,
  options: { folds: number; repeats: number; seed: number; strata?: Float32Array },
): Fold[] {
  const { folds: k, repeats } = options;
  if (rows < k) {
    throw new SagebrewError(
      "SB_HYPERPARAMETER",
      `Hyperparameter _kfold: ${k} folds need at least ${k} rows, and train and validation hold ${rows}`,
    );
  }
  const out: Fold[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const next = generator((options.seed ^ Math.imul(repeat + 1, 0x9e3779b9)) >>> 0);
    const foldOf = new Uint32Array(rows);
    if (options.strata) {
      const byClass = new Map<number, number[]>();
      for (let r = 0; r < rows; r++) {
        const y = options.strata[r]!;
        const list = byClass.get(y);
        if (list) list.push(r);
        else byClass.set(y, [r]);
      }
      let j = 0;
      for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
        for (const r of shuffle(byClass.get(y)!, next)) foldOf[r] = j++ % k;
      }
    } else {
      const order = shuffle(
        Array.from({ length: rows }, (_, r) => r),
        next,
      );
      const base = Math.floor(rows / k);
      let at = 0;
      for (let f = 0; f < k; f++) {
        const size = base + (f < rows % k ? 1 : 0);
        for (let i = 0; i < size; i++) foldOf[order[at++]!] = f;
      }
    }
    for (let index = 0; index < k; index++) {
      const validation: number[] = [];
      for (let r = 0; r < rows; r++) if (foldOf[r] === index) validation.push(r);
      out.push({ repeat, index, validation: Uint32Array.from(validation) });
    }
  }
  return out;
}

/** The rows of `all` that `held` (ascending) leaves out. */
function complement(rows: number, held: Uint32Array): Uint32Array {
  const out = new Uint32Array(rows - held.length);
  let h = 0;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    if (h < held.length && held[h] === r) h++;
    else out[o++] = r;
  }
  return out;
}

/** A row's out-of-fold prediction: its class (or value) and, for classification, its probability. */
interface RowPrediction {
  readonly label: number;
  readonly probability: number;
}

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

/**
 * Each held-out row's prediction as upstream's `ValidationPredictionRecorder` records it: for
 * classification the class and the probability of that class; for regression the value.
 * `binary:logitraw` margins and `multi:softmax` class ids are turned into probabilities
 * (upstream thresholds both at 0.5 as if they were probabilities).
 */
function predictRows(
  booster: Booster,
  data: Dataset,
  params: XGBoostTrainingParams,
  classification: boolean,
): RowPrediction[] {
  const f = data.features;
  const predict = (type: number) =>
    f.kind === "dense" ? booster.predictDense(f, { type }) : booster.predictCsr(f, { type });
  const rows = f.rows;
  const out: RowPrediction[] = [];
  if (!classification) {
    const { values } = predict(0);
    for (let r = 0; r < rows; r++) out.push({ label: values[r]!, probability: Number.NaN });
    return out;
  }
  const objective = params.objective;
  const multiMargin = objective === "multi:softmax";
  const { values, shape } = predict(multiMargin || objective === "binary:logitraw" ? 1 : 0);
  const width = shape.length > 1 ? shape[1]! : 1;
  for (let r = 0; r < rows; r++) {
    if (width > 1) {
      const row = values.subarray(r * width, (r + 1) * width);
      let best = 0;
      for (let i = 1; i < width; i++) if (row[i]! > row[best]!) best = i;
      let p = row[best]!;
      if (multiMargin) {
        let sum = 0;
        for (const m of row) sum += Math.exp(m - row[best]!);
        p = 1 / sum;
      }
      out.push({ label: best, probability: p });
      continue;
    }
    const v = values[r]!;
    if (objective === "binary:logitraw") out.push({ label: v > 0 ? 1 : 0, probability: sigmoid(v) });
    else if (objective === "binary:hinge") out.push({ label: v, probability: Number.NaN });
    else out.push({ label: v > 0.5 ? 1 : 0, probability: v });
  }
  return out;
}

/** numpy's `%f`: six decimals; `nan` for NaN. */
const fixed = (v: number) => (Number.isNaN(v) ? "nan" : v.toFixed(6));

/** The most common value, ties to the smallest (scipy's `mode`). */
function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}

/**
 * `predictions.csv`: per row, in the order train then validation were read, the label, then the
 * mean probability and the most common predicted class over the repeats (classification), or the
 * mean prediction (regression); numbers as numpy's `%f`.
 */
export function predictionsCsv(
  labels: Float32Array,
  byRepeat: ReadonlyArray<ReadonlyArray<RowPrediction | undefined>>,
  classification: boolean,
): string {
  let out = "";
  for (let r = 0; r < labels.length; r++) {
    const preds = byRepeat.map((p) => p[r]!);
    const mean = (get: (p: RowPrediction) => number) => preds.reduce((s, p) => s + get(p), 0) / preds.length;
    const cells = [fixed(labels[r]!)];
    if (classification) cells.push(fixed(mean((p) => p.probability)), fixed(mode(preds.map((p) => p.label))));
    else cells.push(fixed(mean((p) => p.label)));
    out += `${cells.join(",")}\n`;
  }
  return out;
}

/** The mean over folds of each metric at each round; a fold that stopped early keeps its last value. */
function meanRounds(histories: ReadonlyArray<readonly RoundReport[]>): MetricValue[][] {
  const longest = Math.max(...histories.map((h) => h.length));
  const rounds: MetricValue[][] = [];
  for (let i = 0; i < longest; i++) {
    const first = histories[0]![Math.min(i, histories[0]!.length - 1)];
    if (!first) break;
    rounds.push(
      first.metrics.map((m) => {
        let sum = 0;
        for (const h of histories) {
          const at = h[Math.min(i, h.length - 1)]?.metrics.find(
            (x) => x.set === m.set && x.metric === m.metric,
          );
          sum += at?.value ?? Number.NaN;
        }
        return { set: m.set, metric: m.metric, value: sum / histories.length };
      }),
    );
  }
  return rounds;
}

const describeMetrics = (ms: readonly MetricValue[]) =>
  ms.map((m) => `${m.set}-${m.metric} ${Number(m.value.toPrecision(6))}`).join(", ");

/** What the XGBoost algorithm hands over to cross-validation. */
export interface CrossValidationInput {
  readonly ctx: TrainingContext<XGBoostHyperparameters>;
  readonly params: XGBoostTrainingParams & { crossValidation: { folds: number; repeats: number } };
  readonly train: readonly Labelled[];
  readonly validation: readonly Labelled[] | undefined;
  /** The model's facts except the per-run ones (rounds, best iteration). */
  readonly facts: Pick<ModelFacts, "objective" | "numClass" | "numFeatures" | "classNames">;
  readonly summary: readonly string[];
}

/**
 * Runs k-fold cross-validation and returns the fold models, the predictions file and the mean
 * metric of every round (reported through `ctx.report`, the last line being the mean of each
 * fold's last round, as upstream's final line is).
 *
 * @throws SagebrewError SB_TERMINATED when SIGTERM stops it and `save_model_on_termination` is not set.
 */
export async function crossValidate(input: CrossValidationInput): Promise<TrainOutput> {
  const { ctx, params } = input;
  const { folds: k, repeats } = params.crossValidation;
  const data = concatDatasets([...input.train, ...(input.validation ?? [])], "train") as Labelled;
  const rows = data.features.rows;
  const classification = params.numClass !== undefined || params.objective.startsWith("binary:");
  const splits = kFoldSplits(rows, {
    folds: k,
    repeats,
    seed: params.seed,
    ...(classification ? { strata: data.labels } : {}),
  });
  ctx.logger.info(
    `cross-validation: ${k} folds${repeats > 1 ? ` x ${repeats} repeats` : ""} of ${rows} rows (train${input.validation ? " and validation" : ""}), ${classification ? "stratified by class, " : ""}seed ${params.seed}`,
  );
  if (ctx.checkpoints.dir) ctx.logger.warn("checkpoints are not written during k-fold cross-validation");
  const boosters: Booster[] = [];
  const histories: RoundReport[][] = [];
  const predictions: Array<Array<RowPrediction | undefined>> = Array.from(
    { length: repeats },
    () => new Array<RowPrediction | undefined>(rows),
  );
  let stopped = false;
  try {
    for (const fold of splits) {
      const held = fold.validation;
      const history: RoundReport[] = [];
      const result = await trainXGBoost({
        train: { parts: [selectRows(data, complement(rows, held)) as Labelled] },
        validation: { parts: [selectRows(data, held) as Labelled] },
        params,
        onRound: (report) => {
          history.push(report);
        },
        signal: ctx.signal,
      });
      boosters.push(result.booster);
      histories.push(history);
      const name = `fold ${fold.index + 1} of ${k}${repeats > 1 ? `, repeat ${fold.repeat + 1} of ${repeats}` : ""}`;
      if (result.stoppedBy === "signal") {
        stopped = true;
        ctx.logger.warn(`cross-validation stopped by SIGTERM in ${name}`);
        break;
      }
      const predicted = predictRows(result.booster, selectRows(data, held), params, classification);
      held.forEach((r, i) => {
        predictions[fold.repeat]![r] = predicted[i];
      });
      ctx.logger.info(
        `cross-validation ${name}: ${result.rounds} rounds, ${describeMetrics(history.at(-1)?.metrics ?? [])}`,
      );
      if (fold.index === k - 1) {
        const last = meanRounds(histories.slice(-k)).at(-1) ?? [];
        ctx.logger.info(
          `cross-validation repeat ${fold.repeat + 1} of ${repeats}: mean of the last rounds: ${describeMetrics(last)}`,
        );
      }
    }
    if (stopped && !params.saveModelOnTermination) {
      throw new SagebrewError(
        "SB_TERMINATED",
        `Training stopped by SIGTERM after ${boosters.length - 1} of ${splits.length} cross-validation folds; no model was saved (set save_model_on_termination=true to keep the folds done)`,
      );
    }
    const means = meanRounds(histories);
    for (const [round, metrics] of means.entries()) ctx.report({ round, totalRounds: means.length, metrics });
    const rounds = Math.max(...histories.map((h) => h.length));
    const model = foldModelFiles(
      boosters,
      {
        ...input.facts,
        rounds,
        bestIteration: undefined,
        bestScore: undefined,
        stoppingMetric: undefined,
        stoppedBy: stopped ? "signal" : "completed",
      },
      { kfold: k, num_cv_round: repeats, cv_seed: params.seed },
    );
    return {
      model,
      ...(stopped
        ? {}
        : { outputData: { "predictions.csv": predictionsCsv(data.labels, predictions, classification) } }),
      stoppedBy: stopped ? "signal" : "completed",
      summary: [
        ...input.summary,
        `cross-validation: ${boosters.length} fold models (xgboost-model-0 to -${boosters.length - 1}), served as one ensemble; mean of the last rounds: ${describeMetrics(means.at(-1) ?? [])}`,
      ],
    };
  } finally {
    for (const b of boosters) b.dispose();
  }
}
