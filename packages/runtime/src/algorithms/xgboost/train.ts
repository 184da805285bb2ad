/**
 * Boosting with evaluation, sagebrew's own metrics, early stopping, stop requests and a per-round
 * hook (checkpoints, `save_model_on_termination`). Every round runs on a pool thread, so signals
 * and progress keep flowing while XGBoost computes.
 */

import { concatDatasets } from "../../codecs/concat.js";
import type { Dataset, DenseMatrix } from "../../codecs/types.js";
import { formatMetricValue, parseMetricLine } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import type { MetricValue, RoundMetrics } from "../../training/index.js";
import { Booster, type DenseBatch, DMatrix, trimNativeHeap } from "../../xgboost/index.js";
import type { XGBoostTrainingParams } from "./hyperparameters.js";
import { CUSTOM_METRICS, MAXIMIZE_METRICS } from "./hyperparameters.js";
import { computeMetric } from "./metrics.js";

/** One round's evaluation, as the training API reports it. */
export interface RoundReport extends RoundMetrics {
  readonly totalRounds: number;
  /** XGBoost's evaluation line, e.g. `[3]\ttrain-mlogloss:0.08\tvalidation-mlogloss:0.12`. */
  readonly line: string;
  readonly metrics: readonly MetricValue[];
}

/** Labelled rows, possibly in several batches (a large file arrives as several). */
export interface TrainingData {
  readonly parts: ReadonlyArray<Dataset & { labels: Float32Array }>;
}

export interface TrainOptions {
  readonly train: TrainingData;
  readonly validation?: TrainingData;
  readonly params: XGBoostTrainingParams;
  /** Extra booster parameters (e.g. `nthread`), applied after the hyperparameters. */
  readonly extraParams?: Record<string, string>;
  /** A model to continue from (a checkpoint) and the number of rounds it holds. */
  readonly resumeFrom?: { readonly model: Uint8Array; readonly rounds: number };
  /** Called after every round with the booster as it is; awaited before the next round. */
  readonly onRound?: (report: RoundReport, booster: Booster) => void | Promise<void>;
  /** Aborting stops training at the next round boundary. */
  readonly signal?: AbortSignal;
}

export interface TrainResult {
  /** The model to save: the best rounds when early stopping fired, else all of them. */
  readonly booster: Booster;
  readonly rounds: number;
  readonly stoppedBy: "completed" | "early-stopping" | "signal";
  readonly bestIteration?: number;
  readonly bestScore?: number;
  /** The metric early stopping watched, as `validation-<metric>`. */
  readonly stoppingMetric?: string;
  readonly history: readonly RoundReport[];
  readonly dataMs: number;
  readonly boostMs: number;
}

/** Parses an XGBoost evaluation line into its entries. */
export function parseEvalLine(line: string): MetricValue[] {
  return parseMetricLine(line);
}

/**
 * Builds XGBoost's matrix. For `tree_method=hist` with dense rows it builds a QuantileDMatrix from
 * the batches on a pool thread (the batches are handed over and released as they are consumed):
 * the same model as a DMatrix, without holding a float copy of the data in XGBoost. The parts'
 * buffers are transferred to the pool thread on this path (the caller's views become empty).
 */
async function toDMatrix(
  data: TrainingData,
  params: XGBoostTrainingParams,
  channel: string,
  quantile: boolean,
): Promise<{ dmat: DMatrix; labels: Float32Array }> {
  const nthread = params.booster.nthread ? Number(params.booster.nthread) : undefined;
  if (quantile && data.parts.every((p) => p.features.kind === "dense")) {
    const labels = concatLabels(data.parts);
    const batches: DenseBatch[] = data.parts.map((p) => ({
      values: (p.features as DenseMatrix).values,
      rows: p.features.rows,
      cols: p.features.cols,
      labels: p.labels,
      ...(p.weights ? { weights: p.weights } : {}),
    }));
    const dmat = await DMatrix.fromBatchesAsync(batches, {
      ...(nthread ? { nthread } : {}),
      ...(params.booster.max_bin ? { maxBin: Number(params.booster.max_bin) } : {}),
    });
    return { dmat, labels };
  }
  const d = concatDatasets(data.parts, channel) as Dataset & { labels: Float32Array };
  const opts = {
    labels: d.labels,
    ...(d.weights ? { weights: d.weights } : {}),
    ...(nthread ? { nthread } : {}),
  };
  const f = d.features;
  return {
    dmat: f.kind === "dense" ? DMatrix.fromDense(f, opts) : DMatrix.fromCsr(f, opts),
    labels: d.labels,
  };
}

function concatLabels(parts: TrainingData["parts"]): Float32Array {
  if (parts.length === 1) return parts[0]!.labels.slice();
  const out = new Float32Array(parts.reduce((s, p) => s + p.labels.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.labels, at);
    at += p.labels.length;
  }
  return out;
}

/**
 * Trains an XGBoost model.
 *
 * @throws SagebrewError SB_XGBOOST with XGBoost's own message when the library rejects a setting or
 *   the data.
 */
export async function trainXGBoost(options: TrainOptions): Promise<TrainResult> {
  const { params } = options;
  const t0 = performance.now();
  const hist = params.booster.tree_method === "hist";
  const train = await toDMatrix(options.train, params, "train", hist);
  const dtrain = train.dmat;
  let valid: { dmat: DMatrix; labels: Float32Array } | undefined;
  try {
    valid = options.validation ? await toDMatrix(options.validation, params, "validation", false) : undefined;
  } catch (e) {
    dtrain.dispose();
    throw e;
  }
  const dvalid = valid?.dmat;
  trimNativeHeap();
  const sets: Array<readonly [DMatrix, string]> = [[dtrain, "train"]];
  if (dvalid) sets.push([dvalid, "validation"]);
  const dataMs = performance.now() - t0;
  let booster: Booster | undefined;
  try {
    booster = Booster.create(
      sets.map(([d]) => d),
      { validate_parameters: 1 },
    );
    if (options.resumeFrom) {
      const restored = Booster.fromBuffer(options.resumeFrom.model);
      booster.dispose();
      booster = restored;
    }
    booster.setParams(params.booster);
    if (params.numClass !== undefined) booster.setParam("num_class", params.numClass);
    const custom = params.evalMetrics.filter((m) => (CUSTOM_METRICS as readonly string[]).includes(m));
    for (const m of params.evalMetrics) if (!custom.includes(m)) booster.setParam("eval_metric", m);
    if (options.extraParams) booster.setParams(options.extraParams);

    const startRound = options.resumeFrom?.rounds ?? 0;
    const watchName = params.tuningObjectiveMetric ?? params.evalMetrics.at(-1);
    let best: { round: number; score: number } | undefined;
    const resumedBest = options.resumeFrom ? booster.getAttr("best_iteration") : undefined;
    if (resumedBest !== undefined)
      best = { round: Number(resumedBest), score: Number(booster.getAttr("best_score")) };
    let stoppingMetric: string | undefined;
    const history: RoundReport[] = [];
    let stoppedBy: TrainResult["stoppedBy"] = "completed";
    const tBoost = performance.now();
    let round = startRound;
    for (; round < params.numRound; round++) {
      if (options.signal?.aborted) {
        stoppedBy = "signal";
        break;
      }
      await booster.updateAsync(round, dtrain);
      let line = await booster.evalAsync(round, sets);
      for (const m of custom) {
        for (const [d, name] of sets) {
          const labels = name === "train" ? train.labels : valid!.labels;
          const p = await booster.predictAsync(d);
          line += `\t${name}-${m}:${formatMetric(computeMetric(m, params.objective, labels, p))}`;
        }
      }
      const metrics = parseEvalLine(line);
      const report: RoundReport = {
        round,
        totalRounds: params.numRound,
        line,
        metrics,
      };
      history.push(report);
      if (params.earlyStoppingRounds !== undefined && dvalid) {
        const watched =
          (watchName ? metrics.find((m) => m.set === "validation" && m.metric === watchName) : undefined) ??
          metrics.filter((m) => m.set === "validation").at(-1);
        if (watched) {
          stoppingMetric = `validation-${watched.metric}`;
          const maximize = MAXIMIZE_METRICS.has(watched.metric.replace(/@.*$/, ""));
          if (!best || (maximize ? watched.value > best.score : watched.value < best.score)) {
            best = { round, score: watched.value };
            // Kept on the booster so that a checkpoint carries early stopping's state.
            booster.setAttr("best_iteration", String(round));
            booster.setAttr("best_score", String(watched.value));
          } else if (round - best.round >= params.earlyStoppingRounds) {
            stoppedBy = "early-stopping";
            if (options.onRound) await options.onRound(report, booster);
            round++;
            break;
          }
        }
      }
      if (options.onRound) await options.onRound(report, booster);
    }
    const boostMs = performance.now() - tBoost;
    let final = booster;
    if (best && stoppedBy === "early-stopping") {
      final = booster.slice(0, best.round + 1);
      booster.dispose();
    }
    if (best) {
      final.setAttr("best_iteration", String(best.round));
      final.setAttr("best_score", String(best.score));
    }
    return {
      booster: final,
      rounds: round,
      stoppedBy,
      ...(best ? { bestIteration: best.round, bestScore: best.score } : {}),
      ...(stoppingMetric ? { stoppingMetric } : {}),
      history,
      dataMs,
      boostMs,
    };
  } catch (e) {
    booster?.dispose();
    throw e instanceof SagebrewError ? e : new SagebrewError("SB_XGBOOST", String(e), { cause: e });
  } finally {
    dtrain.dispose();
    dvalid?.dispose();
  }
}

/** Formats a metric value as XGBoost does (up to 17 significant digits, no exponent for ordinary values). */
export const formatMetric = formatMetricValue;
