/**
 * The request shapes of the operations `sagebrew local` serves, with the constraints of the
 * SageMaker API model (botocore 1.43.11 `sagemaker/2017-07-24/service-2.json`). Members sagebrew
 * stores without interpreting (VPC, debugger, data capture, …) are accepted as they come.
 *
 * One local extension: S3 URIs may also be `file://` URIs, as the SageMaker Python SDK's local mode
 * accepts them (SageMaker itself would reject them against the pattern).
 */
import {
  PRODUCTION_VARIANT_INSTANCE_TYPES,
  TRAINING_INSTANCE_TYPES,
  TRANSFORM_INSTANCE_TYPES,
} from "./_instance-types.js";
import { type Schema, s } from "./schema.js";

const NAME = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}";
const MODEL_NAME = "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?";
/** The model's S3 URI pattern, plus `file://` (local mode). */
const URI = "(https|s3)://([^/]+)/?(.*)|file://.+";
const ROLE_ARN = "arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";
const TAG_TEXT = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)";
const KMS = "[a-zA-Z0-9:/_-]*";

const uri = () => s.str({ min: 0, max: 1024, pattern: URI });
const roleArn = () => s.str({ min: 20, max: 2048, pattern: ROLE_ARN });
const name63 = () => s.str({ min: 1, max: 63, pattern: NAME });
const configName = () => s.str({ min: 0, max: 63, pattern: NAME });
const modelName = () => s.str({ min: 0, max: 63, pattern: MODEL_NAME });
const nextToken = () => s.str({ min: 0, max: 8192, pattern: ".*" });
const nameContains = () => s.str({ min: 0, max: 63, pattern: "[a-zA-Z0-9\\-]+" });
const sortOrder = () => s.str({ enum: ["Ascending", "Descending"] });

export const TAG: Schema = s.struct(
  {
    Key: s.str({ min: 1, max: 128, pattern: TAG_TEXT }),
    Value: s.str({ min: 0, max: 256, pattern: TAG_TEXT }),
  },
  ["Key", "Value"],
);
const tags = () => s.list(TAG, { min: 0, max: 50 });

const S3_DATA_SOURCE = s.struct(
  {
    S3DataType: s.str({ enum: ["ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse"] }),
    S3Uri: uri(),
    S3DataDistributionType: s.str({ enum: ["FullyReplicated", "ShardedByS3Key"] }),
    AttributeNames: s.list(s.str({ min: 1, max: 256, pattern: ".+" }), { min: 0, max: 16 }),
    InstanceGroupNames: s.any(),
    ModelAccessConfig: s.any(),
    HubAccessConfig: s.any(),
  },
  ["S3DataType", "S3Uri"],
);

const CHANNEL = s.struct(
  {
    ChannelName: s.str({ min: 1, max: 64, pattern: "[A-Za-z0-9\\.\\-_]+" }),
    DataSource: s.struct({
      S3DataSource: S3_DATA_SOURCE,
      FileSystemDataSource: s.any(),
      DatasetSource: s.any(),
    }),
    ContentType: s.str({ min: 0, max: 256, pattern: ".*" }),
    CompressionType: s.str({ enum: ["None", "Gzip"] }),
    RecordWrapperType: s.str({ enum: ["None", "RecordIO"] }),
    InputMode: s.str({ enum: ["Pipe", "File", "FastFile"] }),
    ShuffleConfig: s.struct({ Seed: s.long() }, ["Seed"]),
  },
  ["ChannelName", "DataSource"],
);

export const CREATE_TRAINING_JOB: Schema = s.struct(
  {
    TrainingJobName: name63(),
    HyperParameters: s.map(
      s.str({ min: 0, max: 256, pattern: ".*" }),
      s.str({ min: 0, max: 2500, pattern: ".*" }),
      {
        min: 0,
        max: 100,
      },
    ),
    AlgorithmSpecification: s.struct(
      {
        TrainingImage: s.str({ min: 0, max: 255, pattern: ".*" }),
        AlgorithmName: s.str({ min: 1, max: 170 }),
        TrainingInputMode: s.str({ enum: ["Pipe", "File", "FastFile"] }),
        MetricDefinitions: s.list(
          s.struct(
            {
              Name: s.str({ min: 1, max: 255, pattern: ".+" }),
              Regex: s.str({ min: 1, max: 500, pattern: ".+" }),
            },
            ["Name", "Regex"],
          ),
          { min: 0, max: 40 },
        ),
        EnableSageMakerMetricsTimeSeries: s.bool(),
        ContainerEntrypoint: s.list(s.str({ min: 0, max: 256, pattern: ".*" }), { min: 1, max: 100 }),
        ContainerArguments: s.list(s.str({ min: 0, max: 256, pattern: ".*" }), { min: 1, max: 100 }),
        TrainingImageConfig: s.any(),
      },
      ["TrainingInputMode"],
    ),
    RoleArn: roleArn(),
    InputDataConfig: s.list(CHANNEL, { min: 1, max: 20 }),
    OutputDataConfig: s.struct(
      {
        KmsKeyId: s.str({ min: 0, max: 2048, pattern: KMS }),
        S3OutputPath: uri(),
        CompressionType: s.str({ enum: ["GZIP", "NONE"] }),
      },
      ["S3OutputPath"],
    ),
    ResourceConfig: s.struct({
      InstanceType: s.str({ enum: TRAINING_INSTANCE_TYPES }),
      InstanceCount: s.int({ min: 0 }),
      VolumeSizeInGB: s.int({ min: 0 }),
      VolumeKmsKeyId: s.str({ min: 0, max: 2048, pattern: KMS }),
      KeepAlivePeriodInSeconds: s.int({ min: 0, max: 21600 }),
      InstanceGroups: s.any(),
      InstancePlacementConfig: s.any(),
    }),
    VpcConfig: s.any(),
    StoppingCondition: s.struct({
      MaxRuntimeInSeconds: s.int({ min: 1 }),
      MaxWaitTimeInSeconds: s.int({ min: 1 }),
      MaxPendingTimeInSeconds: s.int({ min: 7200, max: 2419200 }),
    }),
    Tags: tags(),
    EnableNetworkIsolation: s.bool(),
    EnableInterContainerTrafficEncryption: s.bool(),
    EnableManagedSpotTraining: s.bool(),
    CheckpointConfig: s.struct({ S3Uri: uri(), LocalPath: s.str({ min: 0, max: 4096, pattern: ".*" }) }, [
      "S3Uri",
    ]),
    Environment: s.map(
      s.str({ min: 0, max: 512, pattern: "[a-zA-Z_][a-zA-Z0-9_]*" }),
      s.str({ min: 0, max: 512, pattern: "[\\S\\s]*" }),
      { min: 0, max: 100 },
    ),
    RetryStrategy: s.struct({ MaximumRetryAttempts: s.int({ min: 1, max: 30 }) }, ["MaximumRetryAttempts"]),
    DebugHookConfig: s.any(),
    DebugRuleConfigurations: s.any(),
    TensorBoardOutputConfig: s.any(),
    ExperimentConfig: s.any(),
    ProfilerConfig: s.any(),
    ProfilerRuleConfigurations: s.any(),
    RemoteDebugConfig: s.any(),
    InfraCheckConfig: s.any(),
    SessionChainingConfig: s.any(),
  },
  ["TrainingJobName", "RoleArn", "OutputDataConfig"],
);

const TRAINING_JOB_NAME: Schema = s.struct({ TrainingJobName: name63() }, ["TrainingJobName"]);
export const DESCRIBE_TRAINING_JOB = TRAINING_JOB_NAME;
export const STOP_TRAINING_JOB = TRAINING_JOB_NAME;

const listCommon = {
  NextToken: nextToken(),
  MaxResults: s.int({ min: 1, max: 100 }),
  CreationTimeAfter: s.time(),
  CreationTimeBefore: s.time(),
  SortOrder: sortOrder(),
};

export const LIST_TRAINING_JOBS: Schema = s.struct({
  ...listCommon,
  LastModifiedTimeAfter: s.time(),
  LastModifiedTimeBefore: s.time(),
  NameContains: nameContains(),
  StatusEquals: s.str({ enum: ["InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"] }),
  SortBy: s.str({ enum: ["Name", "CreationTime", "Status"] }),
  WarmPoolStatusEquals: s.any(),
  TrainingPlanArnEquals: s.any(),
});

const CONTAINER = s.struct({
  ContainerHostname: s.str({ min: 0, max: 63, pattern: NAME }),
  Image: s.str({ min: 0, max: 255, pattern: "[\\S]+" }),
  ImageConfig: s.any(),
  Mode: s.str({ enum: ["SingleModel", "MultiModel"] }),
  ModelDataUrl: uri(),
  ModelDataSource: s.struct({
    S3DataSource: s.struct(
      {
        S3Uri: uri(),
        S3DataType: s.str({ enum: ["S3Prefix", "S3Object"] }),
        CompressionType: s.str({ enum: ["None", "Gzip"] }),
        ModelAccessConfig: s.any(),
        HubAccessConfig: s.any(),
        ManifestS3Uri: uri(),
        ETag: s.str(),
        ManifestEtag: s.str(),
      },
      ["S3Uri", "S3DataType", "CompressionType"],
    ),
  }),
  AdditionalModelDataSources: s.any(),
  Environment: s.map(
    s.str({ min: 0, max: 1024, pattern: "[a-zA-Z_][a-zA-Z0-9_]*" }),
    s.str({ min: 0, max: 1024, pattern: "[\\S\\s]*" }),
    { min: 0, max: 100 },
  ),
  ModelPackageName: s.str({ min: 1, max: 176 }),
  InferenceSpecificationName: s.str({ min: 1, max: 63, pattern: NAME }),
  MultiModelConfig: s.any(),
});

export const CREATE_MODEL: Schema = s.struct(
  {
    ModelName: modelName(),
    PrimaryContainer: CONTAINER,
    Containers: s.list(CONTAINER, { min: 0, max: 15 }),
    InferenceExecutionConfig: s.any(),
    ExecutionRoleArn: roleArn(),
    Tags: tags(),
    VpcConfig: s.any(),
    EnableNetworkIsolation: s.bool(),
  },
  ["ModelName"],
);

const MODEL_NAME_ONLY: Schema = s.struct({ ModelName: modelName() }, ["ModelName"]);
export const DESCRIBE_MODEL = MODEL_NAME_ONLY;
export const DELETE_MODEL = MODEL_NAME_ONLY;

export const LIST_MODELS: Schema = s.struct({
  ...listCommon,
  SortBy: s.str({ enum: ["Name", "CreationTime"] }),
  NameContains: s.str({ min: 0, max: 63, pattern: "[a-zA-Z0-9-]+" }),
});

const PRODUCTION_VARIANT = s.struct(
  {
    VariantName: s.str({ min: 0, max: 63, pattern: NAME }),
    ModelName: modelName(),
    InitialInstanceCount: s.int({ min: 1 }),
    InstanceType: s.str({ enum: PRODUCTION_VARIANT_INSTANCE_TYPES }),
    InitialVariantWeight: s.float({ min: 0 }),
    AcceleratorType: s.any(),
    CoreDumpConfig: s.any(),
    ServerlessConfig: s.any(),
    VolumeSizeInGB: s.int({ min: 1, max: 512 }),
    ModelDataDownloadTimeoutInSeconds: s.int({ min: 60, max: 3600 }),
    ContainerStartupHealthCheckTimeoutInSeconds: s.int({ min: 60, max: 3600 }),
    EnableSSMAccess: s.bool(),
    ManagedInstanceScaling: s.any(),
    RoutingConfig: s.any(),
    InferenceAmiVersion: s.any(),
    CapacityReservationConfig: s.any(),
    InstancePools: s.any(),
    VariantInstanceProvisionTimeoutInSeconds: s.int({ min: 300, max: 3600 }),
  },
  ["VariantName"],
);

export const CREATE_ENDPOINT_CONFIG: Schema = s.struct(
  {
    EndpointConfigName: configName(),
    ProductionVariants: s.list(PRODUCTION_VARIANT, { min: 1, max: 10 }),
    DataCaptureConfig: s.any(),
    Tags: tags(),
    KmsKeyId: s.str({ min: 0, max: 2048, pattern: KMS }),
    AsyncInferenceConfig: s.any(),
    ExplainerConfig: s.any(),
    ShadowProductionVariants: s.any(),
    ExecutionRoleArn: roleArn(),
    VpcConfig: s.any(),
    EnableNetworkIsolation: s.bool(),
    MetricsConfig: s.any(),
  },
  ["EndpointConfigName", "ProductionVariants"],
);

const CONFIG_NAME_ONLY: Schema = s.struct({ EndpointConfigName: configName() }, ["EndpointConfigName"]);
export const DESCRIBE_ENDPOINT_CONFIG = CONFIG_NAME_ONLY;
export const DELETE_ENDPOINT_CONFIG = CONFIG_NAME_ONLY;

export const CREATE_ENDPOINT: Schema = s.struct(
  {
    EndpointName: configName(),
    EndpointConfigName: configName(),
    DeploymentConfig: s.any(),
    Tags: tags(),
  },
  ["EndpointName", "EndpointConfigName"],
);

export const UPDATE_ENDPOINT: Schema = s.struct(
  {
    EndpointName: configName(),
    EndpointConfigName: configName(),
    RetainAllVariantProperties: s.bool(),
    ExcludeRetainedVariantProperties: s.any(),
    DeploymentConfig: s.any(),
    RetainDeploymentConfig: s.bool(),
  },
  ["EndpointName", "EndpointConfigName"],
);

const ENDPOINT_NAME_ONLY: Schema = s.struct({ EndpointName: configName() }, ["EndpointName"]);
export const DESCRIBE_ENDPOINT = ENDPOINT_NAME_ONLY;
export const DELETE_ENDPOINT = ENDPOINT_NAME_ONLY;

export const LIST_ENDPOINTS: Schema = s.struct({
  ...listCommon,
  SortBy: s.str({ enum: ["Name", "CreationTime", "Status"] }),
  NameContains: s.str({ min: 0, max: 63, pattern: "[a-zA-Z0-9-]+" }),
  LastModifiedTimeBefore: s.time(),
  LastModifiedTimeAfter: s.time(),
  StatusEquals: s.str({
    enum: [
      "OutOfService",
      "Creating",
      "Updating",
      "SystemUpdating",
      "RollingBack",
      "InService",
      "Deleting",
      "Failed",
      "UpdateRollbackFailed",
    ],
  }),
});

export const CREATE_TRANSFORM_JOB: Schema = s.struct(
  {
    TransformJobName: name63(),
    ModelName: modelName(),
    MaxConcurrentTransforms: s.int({ min: 0 }),
    ModelClientConfig: s.struct({
      InvocationsTimeoutInSeconds: s.int({ min: 1, max: 3600 }),
      InvocationsMaxRetries: s.int({ min: 0, max: 3 }),
    }),
    MaxPayloadInMB: s.int({ min: 0 }),
    BatchStrategy: s.str({ enum: ["MultiRecord", "SingleRecord"] }),
    Environment: s.map(
      s.str({ min: 0, max: 1024, pattern: "[a-zA-Z_][a-zA-Z0-9_]{0,1023}" }),
      s.str({ min: 0, max: 10240, pattern: "[\\S\\s]*" }),
      { min: 0, max: 16 },
    ),
    TransformInput: s.struct(
      {
        DataSource: s.struct(
          {
            S3DataSource: s.struct(
              {
                S3DataType: s.str({
                  enum: ["ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse"],
                }),
                S3Uri: uri(),
              },
              ["S3DataType", "S3Uri"],
            ),
          },
          ["S3DataSource"],
        ),
        ContentType: s.str({ min: 0, max: 256, pattern: ".*" }),
        CompressionType: s.str({ enum: ["None", "Gzip"] }),
        SplitType: s.str({ enum: ["None", "Line", "RecordIO", "TFRecord"] }),
      },
      ["DataSource"],
    ),
    TransformOutput: s.struct(
      {
        S3OutputPath: uri(),
        Accept: s.str({ min: 0, max: 256, pattern: ".*" }),
        AssembleWith: s.str({ enum: ["None", "Line"] }),
        KmsKeyId: s.str({ min: 0, max: 2048, pattern: KMS }),
      },
      ["S3OutputPath"],
    ),
    DataCaptureConfig: s.any(),
    TransformResources: s.struct(
      {
        InstanceType: s.str({ enum: TRANSFORM_INSTANCE_TYPES }),
        InstanceCount: s.int({ min: 1 }),
        VolumeKmsKeyId: s.str({ min: 0, max: 2048, pattern: KMS }),
        TransformAmiVersion: s.any(),
      },
      ["InstanceCount"],
    ),
    DataProcessing: s.struct({
      InputFilter: s.str({ min: 0, max: 63 }),
      OutputFilter: s.str({ min: 0, max: 63 }),
      JoinSource: s.str({ enum: ["Input", "None"] }),
    }),
    Tags: tags(),
    ExperimentConfig: s.any(),
  },
  ["TransformJobName", "ModelName", "TransformInput", "TransformOutput", "TransformResources"],
);

const TRANSFORM_JOB_NAME: Schema = s.struct({ TransformJobName: name63() }, ["TransformJobName"]);
export const DESCRIBE_TRANSFORM_JOB = TRANSFORM_JOB_NAME;
export const STOP_TRANSFORM_JOB = TRANSFORM_JOB_NAME;

export const LIST_TRANSFORM_JOBS: Schema = s.struct({
  ...listCommon,
  LastModifiedTimeAfter: s.time(),
  LastModifiedTimeBefore: s.time(),
  NameContains: nameContains(),
  StatusEquals: s.str({ enum: ["InProgress", "Completed", "Failed", "Stopping", "Stopped"] }),
  SortBy: s.str({ enum: ["Name", "CreationTime", "Status"] }),
});

const RESOURCE_ARN = s.str({ min: 0, max: 256, pattern: "arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+" });

export const ADD_TAGS: Schema = s.struct({ ResourceArn: RESOURCE_ARN, Tags: tags() }, [
  "ResourceArn",
  "Tags",
]);
export const LIST_TAGS: Schema = s.struct(
  { ResourceArn: RESOURCE_ARN, NextToken: nextToken(), MaxResults: s.int({ min: 50 }) },
  ["ResourceArn"],
);
export const DELETE_TAGS: Schema = s.struct(
  {
    ResourceArn: RESOURCE_ARN,
    TagKeys: s.list(s.str({ min: 1, max: 128, pattern: TAG_TEXT }), { min: 1, max: 50 }),
  },
  ["ResourceArn", "TagKeys"],
);
