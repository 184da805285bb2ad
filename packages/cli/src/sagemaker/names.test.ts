import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkInstanceType, checkName, checkNumber, isName, timestampedName } from "./names.js";

describe("checkName()", () => {
  it("accepts what SageMaker's API table accepts for each kind of name", () => {
    for (const name of ["a", "iris-1", "a--b", "x".repeat(63)]) {
      assert.equal(checkName("training job", name), name);
      assert.equal(checkName("endpoint", name), name);
    }
    // one name: two calls a millisecond apart give two names
    const stamped = timestampedName("iris");
    assert.equal(checkName("model", stamped), stamped);
  });

  const refused: ReadonlyArray<readonly [Parameters<typeof checkName>[0], string, RegExp]> = [
    [
      "training job",
      "a_b",
      /^Cannot use training job name "a_b": it must satisfy regular expression pattern: \^\[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,62\} \(SageMaker's TrainingJobName: /,
    ],
    [
      "transform job",
      "x".repeat(64),
      /^Cannot use transform job name "x{64}": it must have length less than or equal to 63; it must satisfy regular expression pattern: /,
    ],
    ["endpoint", "-a", /it must satisfy regular expression pattern: .*\(SageMaker's EndpointName: /],
    ["model", "m-", /SageMaker's ModelName/],
    ["endpoint config", "c.1", /SageMaker's EndpointConfigName/],
  ];
  for (const [kind, name, want] of refused) {
    it(`refuses the ${kind} name ${JSON.stringify(name).slice(0, 20)} with SageMaker's rule`, () => {
      assert.throws(() => checkName(kind, name), { code: "SB_USAGE", message: want });
      assert.equal(isName(kind, name), false);
    });
  }
});

describe("checkNumber()", () => {
  it("reads the range from the table, and the limits SageMaker documents beyond it", () => {
    assert.equal(checkNumber("serverless memory (MB)", "ServerlessMemorySizeInMB", 2048), 2048);
    assert.throws(() => checkNumber("serverless memory (MB)", "ServerlessMemorySizeInMB", 512), {
      code: "SB_USAGE",
      message: "Cannot use serverless memory (MB) 512: it must have value greater than or equal to 1024",
    });
    assert.throws(
      () =>
        checkNumber(
          "startup timeout (s)",
          "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds",
          3601,
        ),
      {
        message: "Cannot use startup timeout (s) 3601: it must have value less than or equal to 3600",
      },
    );
    assert.throws(
      () => checkNumber("max runtime (s)", "MaxRuntimeInSeconds", 2_419_201, { max: 2_419_200 }),
      {
        message: "Cannot use max runtime (s) 2419201: it must have value less than or equal to 2419200",
      },
    );
    assert.throws(() => checkNumber("instance count", "TrainingInstanceCount", 1.5), {
      message: /^Cannot use instance count 1\.5: it must be a whole number/,
    });
  });
});

describe("checkInstanceType()", () => {
  it("accepts the types SageMaker lists for that use, and only those", () => {
    assert.equal(checkInstanceType("training", "ml.m5.xlarge"), "ml.m5.xlarge");
    assert.equal(checkInstanceType("endpoint", "ml.t2.medium"), "ml.t2.medium");
    assert.equal(checkInstanceType("transform", "ml.m5.large"), "ml.m5.large");
    // Burstable t2 instances host endpoints but do not train.
    assert.throws(() => checkInstanceType("training", "ml.t2.medium"), { code: "SB_USAGE" });
  });

  it("names the nearest type SageMaker offers", () => {
    assert.throws(() => checkInstanceType("endpoint", "ml.m5.larg"), {
      message:
        /^Cannot use instance type ml\.m5\.larg: SageMaker has no such type for endpoints \(its ProductionVariantInstanceType lists \d+, such as ml\.m5\.large\)\. Did you mean ml\.m5\.large\?$/,
    });
    assert.throws(() => checkInstanceType("transform", "c5.xlarge"), {
      message: /Did you mean ml\.c5\.xlarge\?$/,
    });
  });
});
