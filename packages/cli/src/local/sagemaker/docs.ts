/**
 * The documents `sagebrew local` keeps per resource: the Describe* answer in SageMaker's shape
 * (times in epoch seconds, as JSON 1.1 carries them), the tags, and sagebrew's own notes under
 * keys starting with `_`.
 */
import type { TuningState } from "../../tuning/index.js";
import type { StoredResource } from "./state/index.js";

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface Tagged extends StoredResource {
  Tags?: Tag[];
}

export type TrainingJobStatus = "InProgress" | "Completed" | "Failed" | "Stopping" | "Stopped";

export interface SecondaryStatusTransition {
  Status: string;
  StartTime: number;
  EndTime?: number;
  StatusMessage: string;
}

export interface S3DataSource {
  S3DataType: string;
  S3Uri: string;
  S3DataDistributionType?: "FullyReplicated" | "ShardedByS3Key";
}

export interface Channel {
  ChannelName: string;
  DataSource: { S3DataSource?: S3DataSource };
  ContentType?: string;
  CompressionType?: string;
  RecordWrapperType?: string;
  InputMode?: "Pipe" | "File" | "FastFile";
}

export interface TrainingJobDoc extends Tagged {
  TrainingJobName: string;
  TrainingJobArn: string;
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: string;
  SecondaryStatusTransitions: SecondaryStatusTransition[];
  HyperParameters?: Record<string, string>;
  AlgorithmSpecification: {
    TrainingImage?: string;
    AlgorithmName?: string;
    TrainingInputMode: "Pipe" | "File" | "FastFile";
    MetricDefinitions?: Array<{ Name: string; Regex: string }>;
    ContainerEntrypoint?: string[];
    ContainerArguments?: string[];
  };
  RoleArn: string;
  InputDataConfig?: Channel[];
  OutputDataConfig: { S3OutputPath: string; CompressionType?: "GZIP" | "NONE"; KmsKeyId?: string };
  ResourceConfig: { InstanceType?: string; InstanceCount?: number; VolumeSizeInGB?: number };
  StoppingCondition: { MaxRuntimeInSeconds?: number; MaxWaitTimeInSeconds?: number };
  CheckpointConfig?: { S3Uri: string; LocalPath?: string };
  Environment?: Record<string, string>;
  ModelArtifacts: { S3ModelArtifacts: string };
  CreationTime: number;
  LastModifiedTime: number;
  TrainingStartTime?: number;
  TrainingEndTime?: number;
  TrainingTimeInSeconds?: number;
  BillableTimeInSeconds?: number;
  FailureReason?: string;
  FinalMetricDataList?: Array<{ MetricName: string; Value: number; Timestamp: number }>;
  /** Set on the training jobs a hyperparameter tuning job launched. */
  TuningJobArn?: string;
  /** How the job runs: on sagebrew's runtime, or in Docker. */
  _runner: "runtime" | "docker";
  /** Set when a stop was asked for, and why. */
  _stop?: "StopTrainingJob" | "MaxRuntimeExceeded";
  /** OpenMP threads per host (a tuning job's trial: the cores shared among its parallel trials). */
  _threads?: number;
}

export interface ContainerDefinition {
  ContainerHostname?: string;
  Image?: string;
  Mode?: "SingleModel" | "MultiModel";
  ModelDataUrl?: string;
  ModelDataSource?: {
    S3DataSource: { S3Uri: string; S3DataType: "S3Prefix" | "S3Object"; CompressionType: "None" | "Gzip" };
  };
  Environment?: Record<string, string>;
}

export interface ModelDoc extends Tagged {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  ExecutionRoleArn?: string;
  EnableNetworkIsolation?: boolean;
  VpcConfig?: unknown;
  CreationTime: number;
}

/** A serverless variant's capacity: memory, and how many invocations it takes at once. */
export interface ServerlessConfig {
  MemorySizeInMB: number;
  MaxConcurrency: number;
  ProvisionedConcurrency?: number;
}

export interface ProductionVariant {
  VariantName: string;
  ModelName?: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  AcceleratorType?: string;
  InitialVariantWeight?: number;
  ServerlessConfig?: ServerlessConfig;
  ContainerStartupHealthCheckTimeoutInSeconds?: number;
  ModelDataDownloadTimeoutInSeconds?: number;
}

/** An endpoint config's `AsyncInferenceConfig`: where answers and failures go, how many run at once. */
export interface AsyncInferenceConfig {
  ClientConfig?: { MaxConcurrentInvocationsPerInstance?: number };
  OutputConfig: {
    S3OutputPath?: string;
    S3FailurePath?: string;
    KmsKeyId?: string;
    NotificationConfig?: {
      SuccessTopic?: string;
      ErrorTopic?: string;
      IncludeInferenceResponseIn?: string[];
    };
  };
}

export interface EndpointConfigDoc extends Tagged {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariant[];
  AsyncInferenceConfig?: AsyncInferenceConfig;
  DataCaptureConfig?: unknown;
  CreationTime: number;
}

export type EndpointStatus = "Creating" | "Updating" | "InService" | "Deleting" | "Failed" | "OutOfService";

export interface ProductionVariantSummary {
  VariantName: string;
  DeployedImages: Array<{ SpecifiedImage: string; ResolvedImage: string; ResolutionTime: number }>;
  CurrentWeight: number;
  DesiredWeight: number;
  /** Instance-based variants. */
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
  /** Serverless variants. */
  CurrentServerlessConfig?: ServerlessConfig;
  DesiredServerlessConfig?: ServerlessConfig;
}

export interface EndpointDoc extends Tagged {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  ProductionVariants?: ProductionVariantSummary[];
  /** The serving config's, shown as SageMaker's DescribeEndpoint shows it. */
  AsyncInferenceConfig?: AsyncInferenceConfig;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  /** What serves the endpoint's traffic now. */
  _live?: Deployment;
  /** What a create or an update is rolling out, until it serves. */
  _pending?: Deployment;
}

/** One rollout of an endpoint config: its variants with their models, frozen when it started. */
export interface Deployment {
  /** Counts rollouts of the endpoint, so each one's files and log streams are its own. */
  readonly generation: number;
  readonly config: string;
  readonly variants: DeployedVariant[];
  /** The config's `AsyncInferenceConfig`: the endpoint takes InvokeEndpointAsync only. */
  readonly asyncInference?: AsyncInferenceConfig;
}

/** A variant as an endpoint runs it: the config's variant plus the model it named, frozen. */
export interface DeployedVariant {
  readonly variant: ProductionVariant;
  readonly model: ModelDoc;
}

export type TransformJobStatus = "InProgress" | "Completed" | "Failed" | "Stopping" | "Stopped";

export interface TransformJobDoc extends Tagged {
  TransformJobName: string;
  TransformJobArn: string;
  TransformJobStatus: TransformJobStatus;
  ModelName: string;
  MaxConcurrentTransforms?: number;
  MaxPayloadInMB?: number;
  BatchStrategy?: "MultiRecord" | "SingleRecord";
  Environment?: Record<string, string>;
  ModelClientConfig?: { InvocationsTimeoutInSeconds?: number; InvocationsMaxRetries?: number };
  TransformInput: {
    DataSource: { S3DataSource: { S3DataType: string; S3Uri: string } };
    ContentType?: string;
    CompressionType?: "None" | "Gzip";
    SplitType?: "None" | "Line" | "RecordIO" | "TFRecord";
  };
  TransformOutput: { S3OutputPath: string; Accept?: string; AssembleWith?: "None" | "Line" };
  TransformResources: { InstanceType?: string; InstanceCount: number };
  DataProcessing?: { InputFilter?: string; OutputFilter?: string; JoinSource?: "Input" | "None" };
  CreationTime: number;
  LastModifiedTime: number;
  TransformStartTime?: number;
  TransformEndTime?: number;
  FailureReason?: string;
  /** The model as it was when the job was created. */
  _model: ModelDoc;
  _stop?: boolean;
}

export type TuningJobStatus = "InProgress" | "Completed" | "Failed" | "Stopping" | "Stopped" | "Deleting";

/**
 * A hyperparameter tuning job: the request as given, the status and times SageMaker shows, and the
 * tuning core's state (`_state`: every trial proposed, its objective per epoch, how it ended), from
 * which DescribeHyperParameterTuningJob's counters and best training job are read.
 */
export interface TuningJobDoc extends Tagged {
  HyperParameterTuningJobName: string;
  HyperParameterTuningJobArn: string;
  HyperParameterTuningJobConfig: Record<string, unknown>;
  TrainingJobDefinition?: HyperParameterTrainingJobDefinition;
  TrainingJobDefinitions?: HyperParameterTrainingJobDefinition[];
  WarmStartConfig?: Record<string, unknown>;
  HyperParameterTuningJobStatus: TuningJobStatus;
  CreationTime: number;
  LastModifiedTime: number;
  HyperParameterTuningEndTime?: number;
  FailureReason?: string;
  _state: TuningState;
  /** How its training jobs run: on sagebrew's runtime, or in Docker. */
  _runner: "runtime" | "docker";
  /** OpenMP threads each trial's hosts get. */
  _threads: number;
}

/** What each training job of a tuning job runs (`HyperParameterTrainingJobDefinition`). */
export interface HyperParameterTrainingJobDefinition {
  DefinitionName?: string;
  StaticHyperParameters?: Record<string, string>;
  AlgorithmSpecification: TrainingJobDoc["AlgorithmSpecification"];
  RoleArn: string;
  InputDataConfig?: Channel[];
  OutputDataConfig: TrainingJobDoc["OutputDataConfig"];
  ResourceConfig?: TrainingJobDoc["ResourceConfig"];
  StoppingCondition: TrainingJobDoc["StoppingCondition"];
  CheckpointConfig?: TrainingJobDoc["CheckpointConfig"];
  Environment?: Record<string, string>;
  [member: string]: unknown;
}

/** The one container a model runs (`PrimaryContainer`, or the only one of `Containers`). */
export function containerOf(model: Pick<ModelDoc, "PrimaryContainer" | "Containers">): ContainerDefinition {
  return model.PrimaryContainer ?? model.Containers![0]!;
}

/** How an image runs: on sagebrew's runtime, or in the container engine. */
export type ImagePlan = { readonly runner: "runtime"; readonly why: string } | { readonly runner: "docker" };
