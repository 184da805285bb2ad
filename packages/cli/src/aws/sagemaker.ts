/**
 * The SageMaker control-plane operations sagebrew uses, as one narrow interface with a real
 * implementation over `@aws-sdk/client-sagemaker`. Every request is first checked against
 * SageMaker's API table (packages/cli/src/api/), so one SageMaker would refuse is not sent. Describe
 * calls resolve to `undefined` when the resource does not exist; every other failure is an `SB_AWS`
 * sentence (`errors.ts`).
 */
import type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateHyperParameterTuningJobRequest,
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DescribeHyperParameterTuningJobResponse,
  DescribeModelOutput,
  DescribeTrainingJobResponse,
  DescribeTransformJobResponse,
  HyperParameterTrainingJobSummary,
  UpdateEndpointInput,
} from "@aws-sdk/client-sagemaker";
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER, SAGEMAKER_BOUNDS, validateInput } from "../api/index.js";
import { type AwsOptions, clientConfig, deferred, loadSageMaker } from "./_sdk.js";
import { errorType, isNotFound } from "./errors.js";
import { FAIL, type SdkCommand, send } from "./send.js";

export type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateHyperParameterTuningJobRequest,
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DescribeHyperParameterTuningJobResponse,
  DescribeModelOutput,
  DescribeTrainingJobResponse,
  DescribeTransformJobResponse,
  HyperParameterTrainingJobSummary,
  UpdateEndpointInput,
};

/** The kinds of SageMaker resource sagebrew creates. */
export type ResourceKind = "training-job" | "model" | "endpoint-config" | "endpoint" | "transform-job";

/** One row of a List* answer. */
export interface ResourceSummary {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly arn: string;
  readonly status?: string;
  readonly created?: Date;
}

/** The SageMaker operations the commands compose; `sdkSageMaker()` implements it over the SDK. */
export interface SageMakerApi {
  createTrainingJob(input: CreateTrainingJobRequest): Promise<void>;
  describeTrainingJob(name: string): Promise<DescribeTrainingJobResponse | undefined>;
  stopTrainingJob(name: string): Promise<void>;
  createModel(input: CreateModelInput): Promise<void>;
  describeModel(name: string): Promise<DescribeModelOutput | undefined>;
  deleteModel(name: string): Promise<void>;
  createEndpointConfig(input: CreateEndpointConfigInput): Promise<void>;
  describeEndpointConfig(name: string): Promise<DescribeEndpointConfigOutput | undefined>;
  deleteEndpointConfig(name: string): Promise<void>;
  createEndpoint(input: CreateEndpointInput): Promise<void>;
  updateEndpoint(input: UpdateEndpointInput): Promise<void>;
  describeEndpoint(name: string): Promise<DescribeEndpointOutput | undefined>;
  deleteEndpoint(name: string): Promise<void>;
  createTransformJob(input: CreateTransformJobRequest): Promise<void>;
  describeTransformJob(name: string): Promise<DescribeTransformJobResponse | undefined>;
  stopTransformJob(name: string): Promise<void>;
  createHyperParameterTuningJob(input: CreateHyperParameterTuningJobRequest): Promise<void>;
  describeHyperParameterTuningJob(name: string): Promise<DescribeHyperParameterTuningJobResponse | undefined>;
  /** Every training job of a tuning job (all pages, in SageMaker's default order). */
  listTrainingJobsForHyperParameterTuningJob(name: string): Promise<HyperParameterTrainingJobSummary[]>;
  stopHyperParameterTuningJob(name: string): Promise<void>;
  /** The newest resources of a kind (newest first), at most `max`. */
  list(kind: Exclude<ResourceKind, "endpoint-config">, max: number): Promise<ResourceSummary[]>;
  /** The tags of a resource, as a record. */
  listTags(arn: string): Promise<Record<string, string>>;
  /**
   * True when the endpoint answering is `sagebrew local` (its answers carry `x-sagebrew-local`),
   * which runs images from this machine: a local image tag needs no push there.
   */
  isSagebrewLocal?(): Promise<boolean>;
}

type Sdk = typeof import("@aws-sdk/client-sagemaker");

/** An SDK client's `send`, loosely typed (the SDK's overloads do not take a union of commands). */
export interface SageMakerClientLike {
  send(command: object): Promise<unknown>;
}

/** Adapts a `SageMakerClient` to `SageMakerApi`. */
export function sageMakerApiFromClient(client: SageMakerClientLike, sdk: Sdk): SageMakerApi {
  /** Checks the request against SageMaker's API table (never sending one it would refuse), then sends it. */
  const call = async <C extends SdkCommand>(action: string, resource: string, doing: string, command: C) => {
    checkInput(action, doing, command);
    return send(client, command, { action: `sagemaker:${action}`, resource, doing });
  };
  const describe = async <C extends SdkCommand>(action: string, name: string, what: string, command: C) => {
    const doing = `describe ${what} ${name}`;
    checkInput(action, doing, command);
    // SageMaker answers a Describe of a missing resource with ValidationException ("Could not find
    // model …", "Requested resource not found.") — for the training job too, whose model documents
    // ResourceNotFound. The name passed the table's checks above, so that is all it can mean.
    return send(client, command, { action: `sagemaker:${action}`, resource: name, doing }, (e) =>
      isNotFound(e) || errorType(e) === "ValidationException" ? undefined : FAIL,
    );
  };
  return {
    async createTrainingJob(input) {
      const name = input.TrainingJobName ?? "";
      await call(
        "CreateTrainingJob",
        name,
        `create training job ${name}`,
        new sdk.CreateTrainingJobCommand(input),
      );
    },
    describeTrainingJob: (name) =>
      describe(
        "DescribeTrainingJob",
        name,
        "training job",
        new sdk.DescribeTrainingJobCommand({ TrainingJobName: name }),
      ),
    async stopTrainingJob(name) {
      await call(
        "StopTrainingJob",
        name,
        `stop training job ${name}`,
        new sdk.StopTrainingJobCommand({ TrainingJobName: name }),
      );
    },
    async createModel(input) {
      const name = input.ModelName ?? "";
      await call("CreateModel", name, `create model ${name}`, new sdk.CreateModelCommand(input));
    },
    describeModel: (name) =>
      describe("DescribeModel", name, "model", new sdk.DescribeModelCommand({ ModelName: name })),
    async deleteModel(name) {
      await call(
        "DeleteModel",
        name,
        `delete model ${name}`,
        new sdk.DeleteModelCommand({ ModelName: name }),
      );
    },
    async createEndpointConfig(input) {
      const name = input.EndpointConfigName ?? "";
      await call(
        "CreateEndpointConfig",
        name,
        `create endpoint config ${name}`,
        new sdk.CreateEndpointConfigCommand(input),
      );
    },
    describeEndpointConfig: (name) =>
      describe(
        "DescribeEndpointConfig",
        name,
        "endpoint config",
        new sdk.DescribeEndpointConfigCommand({ EndpointConfigName: name }),
      ),
    async deleteEndpointConfig(name) {
      await call(
        "DeleteEndpointConfig",
        name,
        `delete endpoint config ${name}`,
        new sdk.DeleteEndpointConfigCommand({ EndpointConfigName: name }),
      );
    },
    async createEndpoint(input) {
      const name = input.EndpointName ?? "";
      await call("CreateEndpoint", name, `create endpoint ${name}`, new sdk.CreateEndpointCommand(input));
    },
    async updateEndpoint(input) {
      const name = input.EndpointName ?? "";
      await call("UpdateEndpoint", name, `update endpoint ${name}`, new sdk.UpdateEndpointCommand(input));
    },
    describeEndpoint: (name) =>
      describe("DescribeEndpoint", name, "endpoint", new sdk.DescribeEndpointCommand({ EndpointName: name })),
    async deleteEndpoint(name) {
      await call(
        "DeleteEndpoint",
        name,
        `delete endpoint ${name}`,
        new sdk.DeleteEndpointCommand({ EndpointName: name }),
      );
    },
    async createTransformJob(input) {
      const name = input.TransformJobName ?? "";
      await call(
        "CreateTransformJob",
        name,
        `create transform job ${name}`,
        new sdk.CreateTransformJobCommand(input),
      );
    },
    describeTransformJob: (name) =>
      describe(
        "DescribeTransformJob",
        name,
        "transform job",
        new sdk.DescribeTransformJobCommand({ TransformJobName: name }),
      ),
    async stopTransformJob(name) {
      await call(
        "StopTransformJob",
        name,
        `stop transform job ${name}`,
        new sdk.StopTransformJobCommand({ TransformJobName: name }),
      );
    },
    async createHyperParameterTuningJob(input) {
      const name = input.HyperParameterTuningJobName ?? "";
      await call(
        "CreateHyperParameterTuningJob",
        name,
        `create tuning job ${name}`,
        new sdk.CreateHyperParameterTuningJobCommand(input),
      );
    },
    describeHyperParameterTuningJob: (name) =>
      describe(
        "DescribeHyperParameterTuningJob",
        name,
        "tuning job",
        new sdk.DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
      ),
    async listTrainingJobsForHyperParameterTuningJob(name) {
      const out: HyperParameterTrainingJobSummary[] = [];
      let token: string | undefined;
      do {
        const page = await call(
          "ListTrainingJobsForHyperParameterTuningJob",
          name,
          `list the training jobs of tuning job ${name}`,
          new sdk.ListTrainingJobsForHyperParameterTuningJobCommand({
            HyperParameterTuningJobName: name,
            MaxResults: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        out.push(...(page.TrainingJobSummaries ?? []));
        token = page.NextToken;
      } while (token);
      return out;
    },
    async stopHyperParameterTuningJob(name) {
      await call(
        "StopHyperParameterTuningJob",
        name,
        `stop tuning job ${name}`,
        new sdk.StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
      );
    },
    async list(kind, max) {
      const common = {
        SortBy: "CreationTime",
        SortOrder: "Descending",
        MaxResults: Math.min(max, 100),
      } as const;
      const doing = `list ${kind}s`;
      switch (kind) {
        case "training-job": {
          const out = await call("ListTrainingJobs", "*", doing, new sdk.ListTrainingJobsCommand(common));
          return (out.TrainingJobSummaries ?? []).map((s) =>
            summary(kind, s.TrainingJobName, s.TrainingJobArn, s.TrainingJobStatus, s.CreationTime),
          );
        }
        case "model": {
          const out = await call("ListModels", "*", doing, new sdk.ListModelsCommand(common));
          return (out.Models ?? []).map((s) =>
            summary(kind, s.ModelName, s.ModelArn, undefined, s.CreationTime),
          );
        }
        case "endpoint": {
          const out = await call("ListEndpoints", "*", doing, new sdk.ListEndpointsCommand(common));
          return (out.Endpoints ?? []).map((s) =>
            summary(kind, s.EndpointName, s.EndpointArn, s.EndpointStatus, s.CreationTime),
          );
        }
        case "transform-job": {
          const out = await call("ListTransformJobs", "*", doing, new sdk.ListTransformJobsCommand(common));
          return (out.TransformJobSummaries ?? []).map((s) =>
            summary(kind, s.TransformJobName, s.TransformJobArn, s.TransformJobStatus, s.CreationTime),
          );
        }
      }
    },
    async listTags(arn) {
      const out = await call(
        "ListTags",
        arn,
        `list the tags of ${arn}`,
        new sdk.ListTagsCommand({ ResourceArn: arn }),
      );
      return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    },
  };
}

/**
 * A command's input checked as SageMaker checks it, before it is sent.
 *
 * @throws SagebrewError SB_USAGE with SageMaker's own answer (`ValidationException: 1 validation error detected: …`).
 */
function checkInput(action: string, doing: string, command: object): void {
  const invalid = validateInput(SAGEMAKER, action, (command as { input?: unknown }).input ?? {}, {
    tighten: SAGEMAKER_BOUNDS,
  });
  if (invalid) {
    const type = invalid.kind === "serialization" ? "SerializationException" : "ValidationException";
    throw new SagebrewError("SB_USAGE", `Cannot ${doing}: ${type}: ${invalid.message}`);
  }
}

function summary(
  kind: ResourceKind,
  name: string | undefined,
  arn: string | undefined,
  status: string | undefined,
  created: Date | undefined,
): ResourceSummary {
  return {
    kind,
    name: name ?? "",
    arn: arn ?? "",
    ...(status ? { status } : {}),
    ...(created ? { created } : {}),
  };
}

/** A `SageMakerApi` over a real `SageMakerClient` (credentials, region and endpoint from the standard chain). */
export function sdkSageMaker(options: AwsOptions = {}): SageMakerApi {
  let api: Promise<SageMakerApi> | undefined;
  const get = () => {
    api ??= loadSageMaker().then((sdk) => {
      const client = new sdk.SageMakerClient(clientConfig(options));
      // Seen on the raw answer (inside the deserializer), errors included.
      let local: boolean | undefined;
      client.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          const headers = (out.response as { headers?: Record<string, string> } | undefined)?.headers;
          if (headers) local = headers["x-sagebrew-local"] !== undefined;
          return out;
        },
        { step: "deserialize", name: "sagebrewLocalProbe", priority: "low" },
      );
      return {
        ...sageMakerApiFromClient(client as unknown as SageMakerClientLike, sdk),
        async isSagebrewLocal() {
          if (local === undefined) {
            // Any answer tells; a cheap read asks for one when no call has been made yet.
            await send(
              client,
              new sdk.ListTrainingJobsCommand({ MaxResults: 1 }),
              {
                action: "sagemaker:ListTrainingJobs",
                resource: "*",
                doing: "ask whether SageMaker is sagebrew local",
              },
              () => undefined,
            );
          }
          return local === true;
        },
      };
    });
    return api;
  };
  return deferred(get);
}
