/**
 * Boosting with evaluation, sagebrew's own metrics, early stopping, stop requests and a per-round
 * hook (checkpoints, `save_model_on_termination`). Every round runs on a pool thread, so signals
 * and progress keep flowing while XGBoost computes.
 */

import { tmpdir } from "node:os";
import { concatDatasets } from "../../codecs/concat.js";
import type { Dataset, DenseMatrix } from "../../codecs/types.js";
import { formatMetricValue, parseMetricLine } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import type { MetricValue, RoundMetrics } from "../../training/index.js";
import {
  Booster,
  type Collective,
  type DenseBatch,
  DMatrix,
  mapLargeNativeAllocations,
  trimNativeHeap,
} from "../../xgboost/index.js";
import type { XGBoostTrainingParams } from "./hyperparameters.js";
import { CUSTOM_METRICS, MAXIMIZE_METRICS } from "./hyperparameters.js";
import { computeMetric, metricFromSums, metricSums } from "./metrics.js";

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
  /**
   * Training across hosts: the joined ring (`multi-host.ts`). Every XGBoost call then runs on the
   * ring's thread, the hosts agree on stopping each round, and sagebrew's own metrics are summed
   * across hosts; XGBoost's metrics already cover every host's rows.
   */
  readonly ring?: Collective;
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
 * Float data at least this large is spilled to a temporary file during the quantile build: the
 * peak memory of a large training is then XGBoost's own structures and not the data on top.
 */
const SPILL_FROM_BYTES = 64 << 20;

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
  ring: Collective | undefined,
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
    const bytes = batches.reduce((n, b) => n + b.values.byteLength, 0);
    const dmat = await DMatrix.fromBatchesAsync(batches, {
      ...(ring ? { pool: ring.pool } : {}),
      ...(nthread ? { nthread } : {}),
      ...(params.booster.max_bin ? { maxBin: Number(params.booster.max_bin) } : {}),
      // Large data moves to a temporary file after XGBoost's first pass (see DMatrix.fromBatches).
      ...(bytes >= SPILL_FROM_BYTES ? { spillDir: tmpdir() } : {}),
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
  if (ring) {
    // Built on the ring's thread: XGBoost agrees on the column count across hosts as it builds.
    const rows = f.kind === "dense" ? { dense: f } : { csr: f };
    return { dmat: await DMatrix.fromRowsAsync(rows, { ...opts, pool: ring.pool }), labels: d.labels };
  }
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
  const { ring } = options;
  mapLargeNativeAllocations(true);
  let train: { dmat: DMatrix; labels: Float32Array };
  let valid: { dmat: DMatrix; labels: Float32Array } | undefined;
  try {
    train = await toDMatrix(options.train, params, "train", hist, ring);
    try {
      valid = options.validation
        ? await toDMatrix(options.validation, params, "validation", false, ring)
        : undefined;
    } catch (e) {
      train.dmat.dispose();
      throw e;
    }
  } finally {
    mapLargeNativeAllocations(false);
  }
  const dtrain = train.dmat;
  const dvalid = valid?.dmat;
  trimNativeHeap();
  const sets: Array<readonly [DMatrix, string]> = [[dtrain, "train"]];
  if (dvalid) sets.push([dvalid, "validation"]);
  const dataMs = performance.now() - t0;
  let booster: Booster | undefined;
  try {
    if (ring) {
      // On the ring's thread, whose prediction cache XGBoost counts the features from.
      booster = await Booster.createAsync(
        sets.map(([d]) => d),
        { validate_parameters: 1 },
        ring.pool,
      );
      if (options.resumeFrom) booster.load(options.resumeFrom.model);
    } else {
      booster = Booster.create(
        sets.map(([d]) => d),
        { validate_parameters: 1 },
      );
      if (options.resumeFrom) {
        const restored = Booster.fromBuffer(options.resumeFrom.model);
        booster.dispose();
        booster = restored;
      }
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
      if (await stopRequested(options.signal, ring)) {
        stoppedBy = "signal";
        break;
      }
      await booster.updateAsync(round, dtrain);
      let line = await booster.evalAsync(round, sets);
      line += await customMetrics(
        booster,
        custom,
        sets,
        { train: train.labels, validation: valid?.labels },
        params,
        ring,
      );
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

/** Whether to stop before the next round; every host of a ring stops at the same round. */
async function stopRequested(
  signal: AbortSignal | undefined,
  ring: Collective | undefined,
): Promise<boolean> {
  const mine = signal?.aborted ?? false;
  if (!ring) return mine;
  const [any] = await ring.allreduce(new Float64Array([mine ? 1 : 0]), "max");
  return any === 1;
}

/**
 * sagebrew's own metrics as `\tset-metric:value` entries. On a ring, each host's sums are added
 * across hosts in one reduction, so every host prints the metric over every host's rows.
 */
async function customMetrics(
  booster: Booster,
  metrics: readonly string[],
  sets: ReadonlyArray<readonly [DMatrix, string]>,
  labels: { train: Float32Array; validation: Float32Array | undefined },
  params: XGBoostTrainingParams,
  ring: Collective | undefined,
): Promise<string> {
  const entries: Array<{ name: string; metric: string; value?: number; sums?: Float64Array }> = [];
  for (const m of metrics) {
    for (const [d, name] of sets) {
      const y = name === "train" ? labels.train : labels.validation!;
      const p = await booster.predictAsync(d);
      entries.push(
        ring
          ? { name, metric: m, sums: metricSums(m, params.objective, params.numClass, y, p) }
          : { name, metric: m, value: computeMetric(m, params.objective, y, p) },
      );
    }
  }
  if (ring && entries.length) {
    const all = new Float64Array(entries.reduce((n, e) => n + e.sums!.length, 0));
    let at = 0;
    for (const e of entries) {
      all.set(e.sums!, at);
      at += e.sums!.length;
    }
    const total = await ring.allreduce(all, "sum");
    at = 0;
    for (const e of entries) {
      e.value = metricFromSums(e.metric, total.subarray(at, at + e.sums!.length));
      at += e.sums!.length;
    }
  }
  return entries.map((e) => `\t${e.name}-${e.metric}:${formatMetric(e.value!)}`).join("");
}

/** Formats a metric value as XGBoost does (up to 17 significant digits, no exponent for ordinary values). */
export const formatMetric = formatMetricValue;
