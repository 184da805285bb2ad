/**
 * Limits SageMaker applies that its model does not state as constraints: they are in the
 * members' documentation (or in what SageMaker answers), so they are written here, once, for the
 * CLI's checks and `sagebrew local` alike. generated.test.ts checks that the vendored model's
 * documentation still says so.
 */
export const SAGEMAKER_LIMITS = {
  /** StoppingCondition.MaxRuntimeInSeconds: "The maximum value is 28 days." */
  maxRuntimeInSeconds: 28 * 24 * 3600,
  /**
   * ResourceConfig.InstanceCount: the model's minimum is 0, but a training job needs an instance,
   * and SageMaker refuses 0 ("Member must have value greater than or equal to 1").
   */
  minTrainingInstanceCount: 1,
  /**
   * CreateTransformJob.MaxPayloadInMB: "cannot be greater than 100 MB", and neither can
   * MaxConcurrentTransforms × MaxPayloadInMB.
   */
  maxPayloadInMB: 100,
  /** ProductionVariantServerlessConfig.MemorySizeInMB: "in 1 GB increments". */
  serverlessMemoryStepInMB: 1024,
} as const;

/** The limits above as bounds of SageMaker's number shapes, for `validateInput`'s `tighten`. */
export const SAGEMAKER_BOUNDS = {
  MaxRuntimeInSeconds: { max: SAGEMAKER_LIMITS.maxRuntimeInSeconds },
  TrainingInstanceCount: { min: SAGEMAKER_LIMITS.minTrainingInstanceCount },
  MaxPayloadInMB: { max: SAGEMAKER_LIMITS.maxPayloadInMB },
} as const;
