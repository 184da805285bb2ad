/**
 * `SAGEBREW_EMULATE=sagemaker-xgboost:<version>`: the XGBoost algorithm as that version of
 * SageMaker's built-in XGBoost image trains — its validation, its reading of the data and its
 * failure texts — ported from github.com/aws/sagemaker-xgboost-container and checked against it by
 * the upstream-derived tests beside this file (testdata/README.md).
 */
import { readFileSync } from "node:fs";
import type { Dataset } from "../../../codecs/types.js";
import type { XGBoostImageVersion } from "../../../config/emulate.js";
import { mlPaths } from "../../../contract/index.js";
import type { ModelHandler } from "../../../serving/index.js";
import type { HyperparameterSchema } from "../../../training/index.js";
import { createXGBoostHandler, type XGBoostPrediction, type XGBoostServingModel } from "../handler.js";
import { validateUpstream } from "./hyperparameters.js";
import { answerAsImage } from "./serve.js";
import { emulatedError } from "./training.js";

export { upstreamFormat, validateUpstreamChannels } from "./channels.js";
export { UpstreamCrash, UpstreamError, validateUpstream } from "./hyperparameters.js";
export { type EmulatedJob, emulatedError, prepareEmulatedJob } from "./training.js";

/**
 * The hyperparameter schema of the emulated algorithm: validation as the image does it, over
 * `hyperparameters.json` as the image reads it (its strings, not decoded further), failing the job
 * with the image's text. The values are read again, with the channels, by `prepareEmulatedJob`.
 */
export function emulatedHyperparameters(options: {
  readonly version: XGBoostImageVersion;
  readonly root: string;
  readonly hyperparameters?: Readonly<Record<string, string>>;
}): HyperparameterSchema<Record<string, never>> {
  return {
    declarations: {},
    validate(decoded) {
      let raw: Record<string, string> = { ...decoded };
      try {
        const doc = JSON.parse(readFileSync(mlPaths(options.root).hyperparameters, "utf8")) as Record<
          string,
          unknown
        >;
        raw = Object.fromEntries(
          Object.entries(doc).map(([k, v]) => [k, typeof v === "string" ? v : String(v)] as const),
        );
      } catch {
        // read and reported by the runtime before this runs; validate what it decoded
      }
      raw = { ...raw, ...options.hyperparameters };
      try {
        if (!Object.hasOwn(raw, "sagemaker_program")) validateUpstream(options.version, raw);
      } catch (e) {
        throw emulatedError(e);
      }
      return { values: {}, given: [], aliasesUsed: {} };
    },
  };
}

/**
 * The XGBoost handler answering as that version of SageMaker's image does (`serve.ts`): it loads
 * the model as sagebrew does (without checking `SAGEMAKER_INFERENCE_OUTPUT`, whose unknown keys the
 * image answers with NaN) and negotiates nothing before the image would.
 */
export function createEmulatedXGBoostHandler(
  version: XGBoostImageVersion,
  base: ModelHandler<XGBoostServingModel, Dataset, XGBoostPrediction> = createXGBoostHandler(),
): ModelHandler<XGBoostServingModel> {
  return {
    name: `xgboost (as sagemaker-xgboost ${version})`,
    negotiation: "handler",
    load: (ctx) => base.load({ ...ctx, config: { ...ctx.config, inferenceOutput: undefined } }),
    ...(base.warmup ? { warmup: base.warmup } : {}),
    // The same CSV requests, answered here as the image answers them (it takes text/csv, and JSON).
    ...(base.warmupRequests ? { warmupRequests: base.warmupRequests } : {}),
    ...(base.close ? { close: base.close } : {}),
    transform: (model, body, ctx) => answerAsImage(model, body, ctx),
  };
}
