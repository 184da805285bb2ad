import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SAGEMAKER } from "../../../api/index.js";
import { ApiError } from "../protocol/errors.js";
import { checkSageMakerInput, OPERATIONS } from "./control-plane.js";

function failure(operation: string, body: unknown): ApiError {
  try {
    checkSageMakerInput(operation, body);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return e;
  }
  throw new Error("expected the request to be refused");
}

const job = {
  TrainingJobName: "iris-1",
  RoleArn: "arn:aws:iam::123456789012:role/SageMakerRole",
  AlgorithmSpecification: { TrainingImage: "x", TrainingInputMode: "File" },
  OutputDataConfig: { S3OutputPath: "s3://bucket/out" },
  HyperParameters: { max_depth: "5" },
};

describe("checkSageMakerInput()", () => {
  it("knows every operation sagebrew local serves from SageMaker's API table", () => {
    for (const operation of Object.keys(OPERATIONS))
      assert.ok(Object.hasOwn(SAGEMAKER.operations, operation), operation);
  });

  it("accepts a request that satisfies SageMaker's shape, file:// URIs included", () => {
    checkSageMakerInput("CreateTrainingJob", job);
    checkSageMakerInput("CreateTrainingJob", {
      ...job,
      OutputDataConfig: { S3OutputPath: "file:///tmp/out" },
    });
    checkSageMakerInput("CreateModel", {
      ModelName: "m",
      PrimaryContainer: { Image: "i", ModelDataUrl: "file:///tmp/model.tar.gz" },
    });
  });

  it("lists every violated constraint in SageMaker's words, as a ValidationException", () => {
    const e = failure("CreateTrainingJob", {
      ...job,
      TrainingJobName: `a_${"b".repeat(62)}`,
      RoleArn: undefined,
    });
    assert.equal(e.type, "ValidationException");
    assert.equal(e.status, 400);
    assert.equal(
      e.message,
      `3 validation errors detected: Value 'a_${"b".repeat(62)}' at 'trainingJobName' failed to satisfy constraint: Member must have length less than or equal to 63; ` +
        `Value 'a_${"b".repeat(62)}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; ` +
        "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    );
  });

  it("names list members with 1-based indexes, and checks enums", () => {
    const e = failure("CreateEndpointConfig", {
      EndpointConfigName: "c",
      ProductionVariants: [
        { VariantName: "a", ModelName: "m_1", InstanceType: "ml.m5.larg", InitialInstanceCount: 0 },
      ],
    });
    assert.match(e.message, /^3 validation errors detected: /);
    assert.match(
      e.message,
      /Value 'm_1' at 'productionVariants\.1\.member\.modelName' failed to satisfy constraint: Member must satisfy regular expression pattern: \^\[a-zA-Z0-9\]/,
    );
    assert.match(
      e.message,
      /Value '0' at 'productionVariants\.1\.member\.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1/,
    );
    assert.match(
      e.message,
      /Value 'ml\.m5\.larg' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[ml\.t2\.medium, /,
    );
  });

  it("refuses a value of the wrong JSON type as a SerializationException, before any constraint", () => {
    const e = failure("CreateTrainingJob", { ...job, HyperParameters: { max_depth: 5 } });
    assert.equal(e.type, "SerializationException");
    assert.equal(e.message, "NUMBER_VALUE can not be converted to a String (at 'hyperParameters.max_depth')");
    assert.match(
      failure("CreateTrainingJob", { ...job, InputDataConfig: {} }).message,
      /^Start of structure or map found where not expected/,
    );
    assert.equal(
      failure("ListTags", {
        ResourceArn: "arn:aws:sagemaker:us-east-1:123456789012:model/m",
        MaxResults: "60",
      }).message,
      "STRING_VALUE can not be converted to an Integer (at 'maxResults')",
    );
  });

  it("holds the limits SageMaker documents beyond its model: MaxRuntimeInSeconds at most 28 days", () => {
    assert.equal(
      failure("CreateTrainingJob", { ...job, StoppingCondition: { MaxRuntimeInSeconds: 2_419_201 } }).message,
      "1 validation error detected: Value '2419201' at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 2419200",
    );
    checkSageMakerInput("CreateTrainingJob", {
      ...job,
      StoppingCondition: { MaxRuntimeInSeconds: 2_419_200 },
    });
  });

  it("checks the members it used to pass through unread (VPC, tags) against SageMaker's shapes", () => {
    assert.equal(
      failure("CreateModel", { ModelName: "m", VpcConfig: { Subnets: ["s"] } }).message,
      "1 validation error detected: Value null at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must not be null",
    );
  });
});
