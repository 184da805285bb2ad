import assert from "node:assert/strict";
import { test } from "node:test";
import { CreateRepositoryCommand, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import {
  type EcrApi,
  type EcrClientLike,
  ecrApiFromClient,
  parseEcrHost,
  prepareEcrPush,
  sdkEcr,
} from "./ecr.js";

const ENDPOINT = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com";

function fakeEcr(existing: Set<string>, calls: string[]): EcrApi {
  return {
    async region() {
      return "eu-west-1";
    },
    async createRepository(name) {
      calls.push(`create ${name}`);
      if (existing.has(name)) return "exists";
      existing.add(name);
      return "created";
    },
    async getAuthorizationToken() {
      calls.push("token");
      return { token: Buffer.from("AWS:secret").toString("base64"), proxyEndpoint: ENDPOINT };
    },
  };
}

test("prepareEcrPush() creates the repository once, logs in, and reads account and region", async () => {
  const existing = new Set<string>();
  const calls: string[] = [];
  const first = await prepareEcrPush(fakeEcr(existing, calls), "iris-xgboost");
  assert.equal(first.created, true);
  assert.equal(first.account, "123456789012");
  assert.equal(first.region, "eu-west-1");
  assert.equal(first.uri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-xgboost");
  assert.equal(first.authorization, `Basic ${Buffer.from("AWS:secret").toString("base64")}`);
  const second = await prepareEcrPush(fakeEcr(existing, calls), "iris-xgboost");
  assert.equal(second.created, false);
  assert.deepEqual(calls, ["create iris-xgboost", "token", "create iris-xgboost", "token"]);
});

test("prepareEcrPush() rejects repository names ECR would refuse", async () => {
  await assert.rejects(prepareEcrPush(fakeEcr(new Set(), []), "Iris"), { code: "SB_USAGE" });
});

test("ecrApiFromClient() treats RepositoryAlreadyExistsException as exists and maps other failures to SB_AWS", async () => {
  const sent: string[] = [];
  const client: EcrClientLike = {
    config: { region: async () => "us-east-1" },
    async send(command) {
      sent.push(command.constructor.name);
      if (command instanceof CreateRepositoryCommand) {
        throw Object.assign(new Error("exists"), { name: "RepositoryAlreadyExistsException" });
      }
      if (command instanceof GetAuthorizationTokenCommand) {
        return { authorizationData: [{ authorizationToken: "dG9rZW4=", proxyEndpoint: ENDPOINT }] };
      }
      return {};
    },
  };
  const api = ecrApiFromClient(client);
  assert.equal(await api.region(), "us-east-1");
  assert.equal(await api.createRepository("iris"), "exists");
  assert.deepEqual(await api.getAuthorizationToken(), { token: "dG9rZW4=", proxyEndpoint: ENDPOINT });
  assert.deepEqual(sent, ["CreateRepositoryCommand", "GetAuthorizationTokenCommand"]);

  const denied = ecrApiFromClient({
    config: {
      region: async () => {
        throw new Error("Region is missing");
      },
    },
    async send() {
      throw Object.assign(new Error("not allowed"), { name: "AccessDeniedException" });
    },
  });
  await assert.rejects(denied.region(), { code: "SB_AWS", message: /Cannot resolve the AWS region/ });
  await assert.rejects(denied.createRepository("iris"), {
    code: "SB_AWS",
    message: /access denied to ecr:CreateRepository on iris.*minimal policy/,
  });
});

test("parseEcrHost() reads account and region, also for FIPS and China endpoints", () => {
  assert.deepEqual(parseEcrHost(ENDPOINT), {
    account: "123456789012",
    region: "eu-west-1",
    host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
  });
  assert.equal(parseEcrHost("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").region, "us-gov-west-1");
  assert.equal(parseEcrHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").region, "cn-north-1");
  assert.throws(() => parseEcrHost("ghcr.io"), { code: "SB_AWS" });
});

test("sdkEcr() takes AWS_DEFAULT_REGION when AWS_REGION is unset, as every other client does", async () => {
  const keys = ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"] as const;
  const saved = keys.map((k) => [k, process.env[k]] as const);
  try {
    for (const k of keys) delete process.env[k];
    // No profile region to fall back on: the variable is the only place the region can come from.
    process.env.AWS_CONFIG_FILE = "/nonexistent/sagebrew-test-aws-config";
    process.env.AWS_DEFAULT_REGION = "ap-southeast-2";
    assert.equal(await sdkEcr().region(), "ap-southeast-2");
    process.env.AWS_REGION = "eu-north-1";
    assert.equal(await sdkEcr().region(), "eu-north-1");
    assert.equal(await sdkEcr({ region: "us-west-2" }).region(), "us-west-2");
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
