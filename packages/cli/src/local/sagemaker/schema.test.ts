import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "./api-error.js";
import { checkRequest } from "./schema.js";
import { CREATE_ENDPOINT_CONFIG, CREATE_TRAINING_JOB, LIST_TAGS } from "./shapes.js";

function failure(schema: Parameters<typeof checkRequest>[0], body: unknown): ApiError {
  try {
    checkRequest(schema, body);
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

describe("checkRequest()", () => {
  it("accepts a request that satisfies the shape, file:// URIs included", () => {
    checkRequest(CREATE_TRAINING_JOB, job);
    checkRequest(CREATE_TRAINING_JOB, { ...job, OutputDataConfig: { S3OutputPath: "file:///tmp/out" } });
  });

  it("lists every violated constraint in the framework's words", () => {
    const e = failure(CREATE_TRAINING_JOB, {
      ...job,
      TrainingJobName: `a_${"b".repeat(62)}`,
      RoleArn: undefined,
    });
    assert.equal(e.type, "ValidationException");
    assert.equal(
      e.message,
      `3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; ` +
        `Value 'a_${"b".repeat(62)}' at 'trainingJobName' failed to satisfy constraint: Member must have length less than or equal to 63; ` +
        `Value 'a_${"b".repeat(62)}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    );
  });

  it("names list members with 1-based indexes, and checks enums", () => {
    const e = failure(CREATE_ENDPOINT_CONFIG, {
      EndpointConfigName: "c",
      ProductionVariants: [
        { VariantName: "a", ModelName: "m_1", InstanceType: "ml.m5.larg", InitialInstanceCount: 0 },
      ],
    });
    assert.match(e.message, /^3 validation errors detected: /);
    assert.match(
      e.message,
      /Value 'm_1' at 'productionVariants\.1\.member\.modelName' failed to satisfy constraint/,
    );
    assert.match(
      e.message,
      /at 'productionVariants\.1\.member\.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1/,
    );
    assert.match(
      e.message,
      /Value 'ml\.m5\.larg' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[ml\.t2\.medium, /,
    );
  });

  it("refuses a value of the wrong JSON type as the framework does, before any constraint", () => {
    const e = failure(CREATE_TRAINING_JOB, { ...job, HyperParameters: { max_depth: 5 } });
    assert.equal(e.type, "SerializationException");
    assert.equal(e.message, "NUMBER_VALUE can not be converted to a String (at 'hyperParameters.max_depth')");
    assert.equal(
      failure(CREATE_TRAINING_JOB, { ...job, TrainingJobName: true }).message,
      "TRUE_VALUE can not be converted to a String (at 'trainingJobName')",
    );
    assert.match(
      failure(CREATE_TRAINING_JOB, { ...job, InputDataConfig: {} }).message,
      /^Start of structure or map found where not expected/,
    );
    assert.equal(
      failure(LIST_TAGS, {
        ResourceArn: "arn:aws:sagemaker:us-east-1:123456789012:model/m",
        MaxResults: "60",
      }).message,
      "STRING_VALUE can not be converted to an Integer (at 'maxResults')",
    );
  });

  it("checks map sizes and each key and value", () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"]));
    assert.match(
      failure(CREATE_TRAINING_JOB, { ...job, HyperParameters: many }).message,
      /at 'hyperParameters' failed to satisfy constraint: Member must have length less than or equal to 100/,
    );
    const long = failure(CREATE_TRAINING_JOB, { ...job, HyperParameters: { k: "v".repeat(2501) } });
    assert.match(
      long.message,
      /Map value must satisfy constraint: \[Member must have length less than or equal to 2500\]/,
    );
  });
});
