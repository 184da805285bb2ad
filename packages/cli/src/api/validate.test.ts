import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import {
  LOGS,
  SAGEMAKER,
  SAGEMAKER_RUNTIME,
  type ServiceApi,
  shapeName,
  validateInput,
  violations,
} from "./index.js";

/** A table with one shape of every kind, to reach each branch with a known constraint. */
const TOY: ServiceApi = {
  id: "toy",
  apiVersion: "2024-01-01",
  protocol: "json",
  signingName: "toy",
  operations: { Put: { http: { method: "POST", uri: "/" }, input: "PutInput", errors: [] } },
  shapes: {
    PutInput: {
      type: "structure",
      required: ["Name"],
      members: {
        Name: "Name",
        SAMLOptions: "Inner",
        Count: "Count",
        Big: "Big",
        Ratio: "Ratio",
        Flag: "Flag",
        When: "When",
        Data: "Data",
        Mode: "Mode",
        Names: "NameList",
        Inners: "InnerList",
        Env: "Env",
        Nested: "InnerMap",
        Secret: "Secret",
      },
    },
    Name: { type: "string", min: 1, max: 8, pattern: "^[a-z]+$" },
    Mode: { type: "string", enum: ["On", "Off"] },
    Count: { type: "integer", min: 1, max: 10 },
    Big: { type: "long", min: 0 },
    Ratio: { type: "double", min: 0, max: 1 },
    Flag: { type: "boolean" },
    When: { type: "timestamp" },
    Data: { type: "blob", max: 4 },
    Secret: { type: "string", max: 3, sensitive: true },
    Inner: { type: "structure", required: ["MasterUserName"], members: { MasterUserName: "Name" } },
    NameList: { type: "list", member: "Name", min: 1, max: 3 },
    InnerList: { type: "list", member: "Inner", max: 2 },
    Env: { type: "map", key: "EnvKey", value: "EnvValue", max: 2 },
    EnvKey: { type: "string", max: 4, pattern: "[A-Z]+" },
    EnvValue: { type: "string", min: 0, max: 3, pattern: ".*" },
    InnerMap: { type: "map", key: "EnvKey", value: "Inner" },
  },
};

const ok = { Name: "abc" };
const one = (s: string) => `1 validation error detected: ${s}`;

describe("validateInput()", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string | undefined]> = [
    ["a valid request", ok, undefined],
    ["unknown members are ignored", { ...ok, Whatever: [1, 2] }, undefined],
    [
      "a missing required member",
      {},
      one("Value null at 'name' failed to satisfy constraint: Member must not be null"),
    ],
    [
      "a string too long",
      { Name: "abcdefghi" },
      one(
        "Value 'abcdefghi' at 'name' failed to satisfy constraint: Member must have length less than or equal to 8",
      ),
    ],
    [
      "a string too short and off its pattern",
      { Name: "" },
      "2 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z]+$",
    ],
    [
      "a value outside the enum",
      { ...ok, Mode: "Auto" },
      one(
        "Value 'Auto' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [On, Off]",
      ),
    ],
    [
      "an integer above its maximum",
      { ...ok, Count: 11 },
      one(
        "Value '11' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
      ),
    ],
    [
      "a double below its minimum",
      { ...ok, Ratio: -0.5 },
      one(
        "Value '-0.5' at 'ratio' failed to satisfy constraint: Member must have value greater than or equal to 0",
      ),
    ],
    [
      "a nested structure's required member, with the framework's camel case",
      { ...ok, SAMLOptions: {} },
      one("Value null at 'sAMLOptions.masterUserName' failed to satisfy constraint: Member must not be null"),
    ],
    [
      "a list too long",
      { ...ok, Names: ["a", "b", "c", "d"] },
      one(
        "Value '[a, b, c, d]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 3",
      ),
    ],
    [
      "a list of plain values, judged as a whole with every constraint of its members",
      { ...ok, Names: ["a", "B"] },
      one(
        "Value '[a, B]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^[a-z]+$]",
      ),
    ],
    [
      "a list of structures, by 1-based index",
      { ...ok, Inners: [{ MasterUserName: "ok" }, { MasterUserName: "NO" }, null] },
      "3 validation errors detected: Value '[{MasterUserName=ok}, {MasterUserName=NO}, null]' at 'inners' failed to satisfy constraint: Member must have length less than or equal to 2; " +
        "Value 'NO' at 'inners.2.member.masterUserName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z]+$; " +
        "Value null at 'inners.3.member' failed to satisfy constraint: Member must not be null",
    ],
    [
      "a map's size, keys and values, each judged once for the whole map",
      { ...ok, Env: { A: "ok", b: "long" } },
      "2 validation errors detected: Value '{A=ok, b=long}' at 'env' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 4, Member must satisfy regular expression pattern: [A-Z]+]; " +
        "Value '{A=ok, b=long}' at 'env' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: .*]",
    ],
    [
      "a map with too many entries",
      { ...ok, Env: { A: "1", B: "2", C: "3" } },
      one(
        "Value '{A=1, B=2, C=3}' at 'env' failed to satisfy constraint: Member must have length less than or equal to 2",
      ),
    ],
    [
      "a map of structures, by key",
      { ...ok, Nested: { K: {} } },
      one("Value null at 'nested.K.masterUserName' failed to satisfy constraint: Member must not be null"),
    ],
    [
      "a sensitive value is never printed",
      { ...ok, Secret: "hunter2" },
      one("Value at 'secret' failed to satisfy constraint: Member must have length less than or equal to 3"),
    ],
    [
      "a blob's length counts its bytes, and is not printed",
      { ...ok, Data: "aGVsbG8=" },
      one("Value at 'data' failed to satisfy constraint: Member must have length less than or equal to 4"),
    ],
  ];
  for (const [what, input, want] of cases) {
    it(`answers ${what}`, () => {
      const got = validateInput(TOY, "Put", input);
      if (want === undefined) assert.equal(got, undefined);
      else assert.deepEqual(got, { kind: "validation", message: want });
    });
  }

  it("counts every error of a request across members, in the order of the model", () => {
    const got = validateInput(TOY, "Put", { Name: "A", Count: 0, Mode: "x", Env: { a: "b" } });
    assert.equal(got?.kind, "validation");
    assert.match(
      got!.message,
      /^4 validation errors detected: Value 'A' at 'name' .*; Value '0' at 'count' .*; Value 'x' at 'mode' .*; Value '\{a=b\}' at 'env' failed to satisfy constraint: Map keys/,
    );
  });

  it("prints a long value whole, as AWS does", () => {
    const long = "a".repeat(5000);
    const got = validateInput(TOY, "Put", { Name: long });
    assert.ok(got!.message.includes(`Value '${long}' at 'name'`));
  });

  const typeCases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    [
      "a number where a string is expected",
      { Name: 5 },
      "NUMBER_VALUE can not be converted to a String (at 'name')",
    ],
    [
      "true where a string is expected",
      { Name: true },
      "TRUE_VALUE can not be converted to a String (at 'name')",
    ],
    [
      "a string where an integer is expected",
      { ...ok, Count: "5" },
      "STRING_VALUE can not be converted to an Integer (at 'count')",
    ],
    [
      "a fraction where an integer is expected",
      { ...ok, Count: 1.5 },
      "NUMBER_VALUE can not be converted to an Integer (at 'count')",
    ],
    [
      "an integer past Java's int",
      { ...ok, Count: 2 ** 31 },
      "NUMBER_VALUE can not be converted to an Integer (at 'count')",
    ],
    [
      "a string where a long is expected",
      { ...ok, Big: "1" },
      "STRING_VALUE can not be converted to a Long (at 'big')",
    ],
    [
      "a string where a boolean is expected",
      { ...ok, Flag: "true" },
      "STRING_VALUE can not be converted to a Boolean (at 'flag')",
    ],
    [
      "a string where a timestamp is expected",
      { ...ok, When: "today" },
      "STRING_VALUE can not be converted to a Date (at 'when')",
    ],
    [
      "a string where a structure is expected",
      { ...ok, SAMLOptions: "x" },
      "STRING_VALUE can not be converted to a Structure (at 'sAMLOptions')",
    ],
    [
      "a list where a string is expected",
      { Name: ["a"] },
      "Start of list found where not expected (at 'name')",
    ],
    [
      "an object where a list is expected",
      { ...ok, Names: {} },
      "Start of structure or map found where not expected (at 'names')",
    ],
    [
      "a list member of the wrong type",
      { ...ok, Names: ["a", 1] },
      "NUMBER_VALUE can not be converted to a String (at 'names.2.member')",
    ],
    [
      "a map value of the wrong type",
      { ...ok, Env: { A: 1 } },
      "NUMBER_VALUE can not be converted to a String (at 'env.A')",
    ],
  ];
  for (const [what, input, want] of typeCases) {
    it(`refuses ${what} as a SerializationException, before any constraint`, () => {
      assert.deepEqual(validateInput(TOY, "Put", input), { kind: "serialization", message: want });
    });
  }

  it("refuses a body that is not an object", () => {
    assert.equal(validateInput(TOY, "Put", [1])?.message, "Start of list found where not expected (at '')");
    assert.equal(validateInput(TOY, "Put", "x")?.kind, "serialization");
  });

  it("tightens a number shape's bounds by name, as limits documented beyond the model", () => {
    assert.equal(
      validateInput(TOY, "Put", { ...ok, Count: 6 }, { tighten: { Count: { max: 5 } } })?.message,
      one(
        "Value '6' at 'count' failed to satisfy constraint: Member must have value less than or equal to 5",
      ),
    );
    assert.equal(
      validateInput(TOY, "Put", { ...ok, Big: 0 }, { tighten: { Big: { min: 1 } } })?.kind,
      "validation",
    );
    assert.equal(
      validateInput(TOY, "Put", { ...ok, Count: 5 }, { tighten: { Count: { max: 20 } } }),
      undefined,
    );
  });

  it("leaves out skipped top-level members, and applies local extensions to a pattern", () => {
    assert.equal(validateInput(TOY, "Put", {}, { skip: ["Name"] }), undefined);
    assert.equal(
      validateInput(TOY, "Put", { Name: "file" }, { alsoAccept: { Name: (v) => v === "file" } }),
      undefined,
    );
    assert.equal(
      validateInput(TOY, "Put", { Name: "FILE" }, { alsoAccept: { Name: (v) => v === "file" } })?.kind,
      "validation",
    );
  });
});

describe("validateInput() on SageMaker's own shapes", () => {
  const job = {
    TrainingJobName: "iris-1",
    RoleArn: "arn:aws:iam::123456789012:role/SageMakerRole",
    AlgorithmSpecification: { TrainingImage: "x", TrainingInputMode: "File" },
    OutputDataConfig: { S3OutputPath: "s3://bucket/out" },
    HyperParameters: { max_depth: "5" },
  };

  it("words a bad name as SageMaker does, its pattern anchored as SageMaker prints it", () => {
    assert.equal(
      validateInput(SAGEMAKER, "CreateTrainingJob", { ...job, TrainingJobName: "a_b" })?.message,
      "1 validation error detected: Value 'a_b' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    );
  });

  it("names nested members and list members by SageMaker's paths", () => {
    const got = validateInput(SAGEMAKER, "CreateTrainingJob", {
      ...job,
      ResourceConfig: { InstanceType: "ml.m5.xlarge", InstanceCount: -1, VolumeSizeInGB: 10 },
      InputDataConfig: [{ ChannelName: "train", DataSource: { S3DataSource: { S3DataType: "S3Prefix" } } }],
    });
    assert.equal(
      got?.message,
      "2 validation errors detected: Value null at 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri' failed to satisfy constraint: Member must not be null; " +
        "Value '-1' at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
  });

  it("checks hyperparameters as SageMaker's map constraint", () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"]));
    assert.match(
      validateInput(SAGEMAKER, "CreateTrainingJob", { ...job, HyperParameters: many })!.message,
      /^1 validation error detected: Value '\{k0=v, .*\}' at 'hyperParameters' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    );
    assert.match(
      validateInput(SAGEMAKER, "CreateTrainingJob", { ...job, HyperParameters: { k: "v".repeat(2501) } })!
        .message,
      /at 'hyperParameters' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 2500, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: \.\*\]$/,
    );
  });

  it("checks the runtime's header members, leaving out the body, and hides the sensitive CustomAttributes", () => {
    assert.equal(
      validateInput(
        SAGEMAKER_RUNTIME,
        "InvokeEndpoint",
        { EndpointName: "bad_name", CustomAttributes: "x".repeat(1025) },
        { skip: ["Body"] },
      )?.message,
      "2 validation errors detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*; " +
        "Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024",
    );
  });

  it("checks CloudWatch Logs' members by their own names", () => {
    assert.equal(
      validateInput(LOGS, "DescribeLogStreams", { logGroupName: "g", orderBy: "Size", limit: 51 })?.message,
      "2 validation errors detected: Value 'Size' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]; " +
        "Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
  });
});

describe("violations()", () => {
  it("lists the constraints one value fails, none when it passes", () => {
    assert.deepEqual(violations(SAGEMAKER, "TrainingJobName", "iris-1"), []);
    assert.deepEqual(violations(SAGEMAKER, "TrainingJobName", "x".repeat(64)), [
      "Member must have length less than or equal to 63",
      "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ]);
    assert.deepEqual(violations(SAGEMAKER, "ServerlessMemorySizeInMB", 512), [
      "Member must have value greater than or equal to 1024",
    ]);
    assert.equal(violations(SAGEMAKER, "TrainingInstanceType", "ml.m5.larg").length, 1);
  });

  it("lists every constraint for a value of the wrong type", () => {
    assert.deepEqual(violations(SAGEMAKER, "ServerlessMaxConcurrency", "5"), [
      "Member must have value less than or equal to 200",
      "Member must have value greater than or equal to 1",
    ]);
  });
});

describe("validateInput() on untrusted bodies", () => {
  /** A JSON value shaped like the input: its members' names, at any depth, holding anything. */
  function looksLike(api: ServiceApi, shape: string, depth: number): fc.Arbitrary<unknown> {
    const s = api.shapes[shape];
    if (depth === 0 || !s || (s.type !== "structure" && s.type !== "list" && s.type !== "map"))
      return fc.jsonValue({ maxDepth: 2 });
    if (s.type === "list")
      return fc.oneof(
        fc.array(looksLike(api, shapeName(s.member), depth - 1), { maxLength: 4 }),
        fc.jsonValue({ maxDepth: 1 }),
      );
    if (s.type === "map")
      return fc.oneof(
        fc.dictionary(fc.string(), looksLike(api, shapeName(s.value), depth - 1), { maxKeys: 4 }),
        fc.jsonValue({ maxDepth: 1 }),
      );
    const members = Object.fromEntries(
      Object.entries(s.members).map(([name, ref]) => [name, looksLike(api, shapeName(ref), depth - 1)]),
    );
    return fc.oneof(fc.record(members, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 1 }));
  }

  for (const [api, operations] of [
    [
      SAGEMAKER,
      ["CreateTrainingJob", "CreateEndpointConfig", "CreateTransformJob", "ListTrainingJobs", "DeleteTags"],
    ],
    [LOGS, ["FilterLogEvents", "GetLogEvents"]],
  ] as const) {
    for (const operation of operations) {
      it(`answers any body of ${api.id} ${operation} with undefined or a refusal, never a crash`, () => {
        const input = api.operations[operation]!.input!;
        fc.assert(
          fc.property(looksLike(api, input, 4), (body) => {
            const got = validateInput(api, operation, body);
            if (got !== undefined) {
              assert.ok(got.kind === "serialization" || got.kind === "validation");
              assert.ok(got.message.length > 0);
            }
          }),
          { numRuns: 300 },
        );
      });
    }
  }
});
