/**
 * DNS rebinding against `sagebrew local` (in-process, on port 0): a page whose name is re-pointed at
 * 127.0.0.1 posts CreateTrainingJob with `Environment: {NODE_OPTIONS: "--import=data:…"}` — code that
 * the built-in image's `train` would run as the user, writing a marker file. With `Host:
 * evil.example`, or from `Origin: https://evil.example`, the answer is 403 and no job exists; the
 * same request addressed to 127.0.0.1 does create the job and the marker appears, which shows the
 * payload is real. `--host` on another interface without `--allow-host` is refused before it binds.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isSagebrewError } from "@sagebrew/runtime/core";
import { localCommand } from "../../packages/cli/src/commands/local.js";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";
import { captureIo } from "../kit/capture-io.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris.csv", import.meta.url))).href;

let work: string;
let local: LocalSageMaker;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-host-guard-"));
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: { ...process.env, SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
    allowHosts: ["sagebrew.test"],
    log: () => undefined,
  });
});

after(async () => {
  await local?.close();
  await rm(work, { recursive: true, force: true });
});

/** A SageMaker JSON 1.1 call over a real socket with the given headers (Host included). */
function call(
  target: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: local.port,
        path: "/",
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `SageMaker.${target}`,
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text || "{}") }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/** CreateTrainingJob whose `NODE_OPTIONS` imports a module that writes `marker` at the program's start. */
function hostileJob(name: string, marker: string) {
  const code = `import{writeFileSync}from'node:fs';writeFileSync(${JSON.stringify(marker)},'pwned')`;
  return {
    TrainingJobName: name,
    RoleArn: "arn:aws:iam::123456789012:role/SageMakerRole",
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
    HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "2" },
    Environment: {
      NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(code).toString("base64")}`,
    },
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS } },
      },
    ],
    OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
  };
}

async function jobNames(): Promise<string[]> {
  const r = await call("ListTrainingJobs", {}, { host: `127.0.0.1:${local.port}` });
  assert.equal(r.status, 200);
  return (r.body.TrainingJobSummaries as Array<{ TrainingJobName: string }>).map((s) => s.TrainingJobName);
}

describe("sagebrew local under DNS rebinding", () => {
  it("refuses CreateTrainingJob for Host evil.example: 403, no job, no code run", async () => {
    const marker = join(work, "marker-host");
    const r = await call("CreateTrainingJob", hostileJob("rebound", marker), {
      host: `evil.example:${local.port}`,
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.__type, "AccessDeniedException");
    assert.match(
      String(r.body.message),
      /^Refused Host "evil\.example:\d+": .*--allow-host evil\.example\.$/,
    );
    assert.deepEqual(await jobNames(), []);
    const d = await call("DescribeTrainingJob", { TrainingJobName: "rebound" }, { host: "localhost" });
    assert.equal(d.status, 400);
    assert.equal(existsSync(marker), false);
  });

  it("refuses it from Origin https://evil.example and from Origin null, even addressed to 127.0.0.1", async () => {
    const marker = join(work, "marker-origin");
    for (const origin of ["https://evil.example", "null"]) {
      const r = await call("CreateTrainingJob", hostileJob("cross-site", marker), {
        host: `127.0.0.1:${local.port}`,
        origin,
      });
      assert.equal(r.status, 403, origin);
      assert.match(String(r.body.message), /^Refused Origin /);
    }
    assert.deepEqual(await jobNames(), []);
    assert.equal(existsSync(marker), false);
  });

  it(
    "runs the same request addressed to an allowed name: the payload is real",
    { timeout: 120_000 },
    async () => {
      const marker = join(work, "marker-allowed");
      const r = await call("CreateTrainingJob", hostileJob("allowed", marker), {
        host: `sagebrew.test:${local.port}`,
        origin: `http://sagebrew.test:${local.port}`,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(await jobNames(), ["allowed"]);
      for (let i = 0; i < 1200 && !existsSync(marker); i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(
        existsSync(marker),
        true,
        "the job's NODE_OPTIONS ran: what the guard keeps web pages from",
      );
    },
  );
});

describe("sagebrew local --host", () => {
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: were the check gone, binding it would
  // fail rather than open a port to the network.
  it("refuses a non-loopback interface without --allow-host, before binding", async () => {
    const { io } = captureIo({ cwd: work, env: process.env });
    await assert.rejects(
      localCommand.run(["--host", "192.0.2.1", "--port", "0", "--state", join(work, "other")], io),
      (e: unknown) =>
        isSagebrewError(e, "SB_USAGE") &&
        /^Refusing to listen on 192\.0\.2\.1: .*--allow-host NAME/.test((e as Error).message),
    );
    assert.equal(existsSync(join(work, "other")), false);
    await assert.rejects(
      startLocalSageMaker({
        host: "192.0.2.1",
        port: 0,
        stateDir: join(work, "other"),
        env: {},
        log: () => undefined,
      }),
      /^Error: Refusing to listen on 192\.0\.2\.1/,
    );
  });

  it("refuses an --allow-host value that is not a host name", async () => {
    const { io } = captureIo({ cwd: work, env: process.env });
    await assert.rejects(
      localCommand.run(["--allow-host", "http://x:1", "--port", "0", "--state", join(work, "other")], io),
      (e: unknown) => isSagebrewError(e, "SB_USAGE") && /is not a host name or an IP address/.test(String(e)),
    );
  });
});
