import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { generate } from "../../../../scripts/gen-aws-api.js";
import {
  LOGS,
  S3,
  SAGEMAKER,
  SAGEMAKER_LIMITS,
  SAGEMAKER_RUNTIME,
  type ServiceApi,
  STS,
  shapeName,
} from "./index.js";
import { javaPatternToRegExp } from "./pattern.js";

const TABLES: readonly ServiceApi[] = [SAGEMAKER, SAGEMAKER_RUNTIME, LOGS, S3, STS];

describe("the generated API table", () => {
  it("is what scripts/gen-aws-api.ts makes of the vendored models (npm run api:gen)", () => {
    for (const [path, text] of generate()) {
      assert.equal(
        readFileSync(path, "utf8"),
        text,
        `${relative(process.cwd(), path)} is stale: run npm run api:gen`,
      );
    }
  });

  it("names only shapes it defines, and every pattern runs in JavaScript", () => {
    for (const api of TABLES) {
      const has = (name: string) => assert.ok(Object.hasOwn(api.shapes, name), `${api.id}: no shape ${name}`);
      for (const op of Object.values(api.operations)) {
        for (const name of [op.input, op.output, ...op.errors]) if (name) has(name);
      }
      for (const shape of Object.values(api.shapes)) {
        if (shape.type === "structure") for (const ref of Object.values(shape.members)) has(shapeName(ref));
        if (shape.type === "list") has(shapeName(shape.member));
        if (shape.type === "map") for (const ref of [shape.key, shape.value]) has(shapeName(ref));
        if (shape.type === "string" && shape.pattern !== undefined) javaPatternToRegExp(shape.pattern);
      }
    }
  });

  it("gives errors their status and fault", () => {
    assert.deepEqual(SAGEMAKER.shapes.ResourceNotFound, {
      type: "structure",
      members: { Message: "FailureReason" },
      error: { status: 400, fault: "client" },
    });
    const modelError = SAGEMAKER_RUNTIME.shapes.ModelError;
    assert.ok(modelError?.type === "structure");
    assert.deepEqual(modelError.error, { status: 424, fault: "client" });
    const noSuchKey = S3.shapes.NoSuchKey;
    assert.ok(noSuchKey?.type === "structure" && noSuchKey.error?.status === 404);
  });

  it("keeps the limits of api/limits.ts that SageMaker's model documents beyond its constraints", () => {
    const model = JSON.parse(
      gunzipSync(
        readFileSync(
          join(import.meta.dirname, "../../../../vendor/botocore/sagemaker/2017-07-24/service-2.json.gz"),
        ),
      ).toString("utf8"),
    ) as { shapes: Record<string, { members?: Record<string, { documentation?: string }> }> };
    const doc = (shape: string, member: string) =>
      (model.shapes[shape]?.members?.[member]?.documentation ?? "").replace(/<[^>]+>/g, "");
    assert.equal(SAGEMAKER_LIMITS.maxRuntimeInSeconds, 28 * 86_400);
    assert.match(doc("StoppingCondition", "MaxRuntimeInSeconds"), /The maximum value is 28 days\./);
    assert.match(
      doc("CreateTransformJobRequest", "MaxPayloadInMB"),
      new RegExp(`cannot be greater than ${SAGEMAKER_LIMITS.maxPayloadInMB} MB`),
    );
    assert.match(doc("ProductionVariantServerlessConfig", "MemorySizeInMB"), /in 1 GB increments/);
    assert.equal(SAGEMAKER_LIMITS.serverlessMemoryStepInMB, 1024);
  });
});
