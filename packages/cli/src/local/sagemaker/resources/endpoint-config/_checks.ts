/**
 * What CreateEndpointConfig checks beyond the shapes of SageMaker's API table: each variant names
 * an existing model and either instances or a `ServerlessConfig` (SageMaker's serverless memory
 * sizes, `ProvisionedConcurrency` ≤ `MaxConcurrency`, none of the features serverless endpoints
 * exclude: a second variant, multi-model, network isolation, a VPC, data capture, asynchronous
 * inference), and an `AsyncInferenceConfig` an endpoint here can honour (an output path it can
 * write, a single-model container, since InvokeEndpointAsync names no target model). SageMaker's
 * own sentences for these are not published; these say the same in sagebrew's voice.
 */
import { SAGEMAKER_LIMITS } from "../../../../api/index.js";
import type { AsyncInferenceConfig, EndpointConfigDoc, ModelDoc, ProductionVariant } from "../../docs.js";
import { containerOf } from "../../docs.js";
import { validation } from "../../protocol/index.js";
import { schemeOf } from "../../storage/index.js";
import type { OpContext } from "../context.js";
import { modelNotFound } from "../model/index.js";

/** The memory sizes a serverless variant may have: 1024 to 6144 MB in 1 GB steps. */
const SERVERLESS_MEMORY_SIZES = [1, 2, 3, 4, 5, 6].map((n) => n * SAGEMAKER_LIMITS.serverlessMemoryStepInMB);

/** The config's variants with the models they name; refuses what SageMaker refuses. */
export function checkEndpointConfig(
  ctx: OpContext,
  config: Pick<EndpointConfigDoc, "ProductionVariants" | "AsyncInferenceConfig" | "DataCaptureConfig">,
): void {
  const variants = config.ProductionVariants;
  const names = new Set<string>();
  const models = variants.map((v) => {
    if (names.has(v.VariantName.toLowerCase())) {
      throw validation(`Variant names must be unique: ${v.VariantName} appears twice.`);
    }
    names.add(v.VariantName.toLowerCase());
    if (!v.ModelName) throw validation(`Production variant ${v.VariantName} must name a ModelName.`);
    const model = ctx.store.get<ModelDoc>("model", v.ModelName);
    if (!model) throw modelNotFound(ctx, v.ModelName);
    return model;
  });
  const serverless = variants.filter((v) => v.ServerlessConfig !== undefined);
  if (serverless.length > 0) checkServerless(config, variants, models);
  else {
    for (const v of variants) {
      if (v.InstanceType === undefined || v.InitialInstanceCount === undefined) {
        throw validation(
          `Production variant ${v.VariantName} must give InstanceType and InitialInstanceCount (or a ServerlessConfig).`,
        );
      }
    }
  }
  if (config.AsyncInferenceConfig) checkAsync(config.AsyncInferenceConfig, variants, models);
}

function checkServerless(
  config: Pick<EndpointConfigDoc, "AsyncInferenceConfig" | "DataCaptureConfig">,
  variants: ProductionVariant[],
  models: ModelDoc[],
): void {
  if (variants.length > 1) {
    throw validation(
      `A serverless endpoint configuration has one production variant; this one has ${variants.length} (${variants.map((v) => v.VariantName).join(", ")}).`,
    );
  }
  const v = variants[0]!;
  const model = models[0]!;
  const s = v.ServerlessConfig!;
  const instanceKeys = (["InstanceType", "InitialInstanceCount", "AcceleratorType"] as const).filter(
    (k) => v[k] !== undefined,
  );
  if (instanceKeys.length > 0) {
    throw validation(
      `Production variant ${v.VariantName} has a ServerlessConfig and ${instanceKeys.join(" and ")}: a serverless variant runs on capacity SageMaker provisions; give one or the other.`,
    );
  }
  if (!SERVERLESS_MEMORY_SIZES.includes(s.MemorySizeInMB)) {
    throw validation(
      `MemorySizeInMB ${s.MemorySizeInMB} of production variant ${v.VariantName} is not a serverless memory size: use ${SERVERLESS_MEMORY_SIZES.join(", ")}.`,
    );
  }
  if (s.ProvisionedConcurrency !== undefined && s.ProvisionedConcurrency > s.MaxConcurrency) {
    throw validation(
      `ProvisionedConcurrency ${s.ProvisionedConcurrency} of production variant ${v.VariantName} must be less than or equal to its MaxConcurrency ${s.MaxConcurrency}.`,
    );
  }
  const excluded = (feature: string) =>
    validation(`Serverless endpoints do not support ${feature} (production variant ${v.VariantName}).`);
  if (config.AsyncInferenceConfig) throw excluded("asynchronous inference (AsyncInferenceConfig)");
  if (config.DataCaptureConfig) throw excluded("data capture (DataCaptureConfig)");
  if (containerOf(model).Mode === "MultiModel")
    throw excluded(`multi-model endpoints: model ${model.ModelName} has Mode MultiModel`);
  if (model.EnableNetworkIsolation)
    throw excluded(`network isolation: model ${model.ModelName} has EnableNetworkIsolation`);
  if (model.VpcConfig) throw excluded(`VPC configuration: model ${model.ModelName} has a VpcConfig`);
}

function checkAsync(config: AsyncInferenceConfig, variants: ProductionVariant[], models: ModelDoc[]): void {
  const out = config.OutputConfig;
  if (out.S3OutputPath === undefined) {
    throw validation(
      "1 validation error detected: Value null at 'asyncInferenceConfig.outputConfig.s3OutputPath' failed to satisfy constraint: Member must not be null",
    );
  }
  for (const [member, uri] of [
    ["S3OutputPath", out.S3OutputPath],
    ["S3FailurePath", out.S3FailurePath],
  ] as const) {
    const scheme = uri === undefined ? undefined : schemeOf(uri);
    if (uri !== undefined && scheme !== "s3" && scheme !== "file") {
      throw validation(
        `Cannot write asynchronous inference results to ${member} ${uri}: sagebrew local writes s3:// and file:// URIs.`,
      );
    }
  }
  models.forEach((model, i) => {
    if (containerOf(model).Mode === "MultiModel") {
      throw validation(
        `Asynchronous inference does not support multi-model endpoints: model ${model.ModelName} of production variant ${variants[i]!.VariantName} has Mode MultiModel, and InvokeEndpointAsync names no target model.`,
      );
    }
  });
}
