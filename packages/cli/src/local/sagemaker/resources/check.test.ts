import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TuningMachine, tuningSpec } from "../../../tuning/index.js";
import type { StoredResource } from "../state/index.js";
import { checkDocument } from "./check.js";
import { newEndpoint } from "./endpoint/index.js";
import { newTrainingJob } from "./training-job/index.js";
import { newTransformJob } from "./transform-job/index.js";
import { newTuningJob } from "./tuning-job/index.js";

const model = {
  name: "m",
  ModelName: "m",
  ModelArn: "arn:m",
  CreationTime: 1,
  PrimaryContainer: { Image: "i" },
};
const documents: Array<[Parameters<typeof checkDocument>[0], StoredResource]> = [
  [
    "training-job",
    newTrainingJob({
      name: "j",
      arn: "arn:j",
      request: {
        AlgorithmSpecification: {},
        RoleArn: "r",
        OutputDataConfig: { S3OutputPath: "s3://b" },
        ResourceConfig: {},
      },
      modelArtifacts: "s3://b/m",
      runner: "runtime",
      maxRuntimeSeconds: 60,
      now: 1,
    }),
  ],
  [
    "transform-job",
    newTransformJob({
      name: "t",
      arn: "arn:t",
      request: { TransformInput: {}, TransformOutput: {}, TransformResources: {} },
      model,
      now: 1,
    }),
  ],
  ["model", model],
  [
    "endpoint-config",
    {
      name: "c",
      EndpointConfigName: "c",
      EndpointConfigArn: "arn:c",
      ProductionVariants: [],
      CreationTime: 1,
    },
  ],
  ["endpoint", newEndpoint({ name: "e", arn: "arn:e", config: "c", variants: [], now: 1 })],
  [
    "hyper-parameter-tuning-job",
    newTuningJob({
      name: "h",
      arn: "arn:h",
      request: { HyperParameterTuningJobConfig: {} },
      state: TuningMachine.create(
        tuningSpec({
          HyperParameterTuningJobName: "h",
          HyperParameterTuningJobConfig: {
            Strategy: "Random",
            HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "validation:rmse" },
            ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 },
            ParameterRanges: {
              ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.1", MaxValue: "0.5" }],
            },
          },
          TrainingJobDefinition: {},
        }),
        { seed: 1, now: 1 },
      ).state,
      runner: "runtime",
      threads: 1,
      now: 1,
    }),
  ],
];

describe("checkDocument()", () => {
  it("takes the documents the operations and state machines write", () => {
    for (const [kind, doc] of documents) assert.equal(checkDocument(kind, doc), undefined, kind);
  });

  it("names what a document cut short or edited lacks", () => {
    const cases: Array<[Parameters<typeof checkDocument>[0], StoredResource, string]> = [
      ["model", { name: "m" }, "ModelName is not a string"],
      ["model", { ...model, PrimaryContainer: undefined }, "it has no container"],
      [
        "training-job",
        { ...documents[0]![1], TrainingJobStatus: "Running" },
        'TrainingJobStatus "Running" is not one of InProgress, Completed, Failed, Stopping, Stopped',
      ],
      [
        "training-job",
        { ...documents[0]![1], SecondaryStatusTransitions: "x" },
        "SecondaryStatusTransitions is not an array",
      ],
      ["training-job", { ...documents[0]![1], _runner: "podman" }, "_runner is not runtime or docker"],
      ["endpoint", { ...documents[4]![1], _pending: { generation: "1" } }, "_pending is not a deployment"],
      [
        "endpoint-config",
        {
          name: "c",
          EndpointConfigName: "c",
          EndpointConfigArn: "a",
          ProductionVariants: {},
          CreationTime: 1,
        },
        "ProductionVariants is not an array",
      ],
      ["transform-job", { ...documents[1]![1], _model: null }, "_model is not an object"],
      [
        "hyper-parameter-tuning-job",
        { ...documents[5]![1], HyperParameterTuningJobStatus: "Running" },
        'HyperParameterTuningJobStatus "Running" is not one of InProgress, Completed, Failed, Stopping, Stopped, Deleting',
      ],
      ["hyper-parameter-tuning-job", { ...documents[5]![1], _state: null }, "_state is not an object"],
      [
        "hyper-parameter-tuning-job",
        { ...documents[5]![1], _state: { version: 2, spec: {}, trials: [], parents: [] } },
        "_state is not a tuning state of version 1",
      ],
      [
        "hyper-parameter-tuning-job",
        { ...documents[5]![1], _state: { version: 1, spec: { ranges: "x" }, trials: [], parents: [] } },
        "_state's spec is not a tuning spec",
      ],
      [
        "hyper-parameter-tuning-job",
        {
          ...documents[5]![1],
          _state: { ...(documents[5]![1]._state as object), trials: [{ name: "x" }] },
        },
        "_state has a trial without a name or objective curve",
      ],
    ];
    for (const [kind, doc, problem] of cases) assert.equal(checkDocument(kind, doc), problem);
  });
});
