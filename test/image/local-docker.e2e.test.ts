/**
 * `sagebrew local` running a foreign image (neither SageMaker's XGBoost nor labelled by
 * `sagebrew build`) on a real Docker engine, driven by the AWS SDK for JavaScript v3: a minimal
 * image whose `train` and `serve` are small Node.js programs on PATH (built FROM the locally made
 * base image, nothing pulled) → CreateTrainingJob on file:// data → Completed with the model in
 * the file:// output → a two-host job on the job's own network (each host resolves the other by
 * name) → CreateEndpoint → InService → InvokeEndpoint answers as the container does →
 * DeleteEndpoint stops the container (`docker ps` shows it gone); `sagebrew train --instance-type
 * --image <local tag>` runs that image from this machine, with no push to ECR. Needs what the image suite
 * needs (root, docker.io, docker-registry, mmdebstrap, skopeo); fails with the reason when
 * CI=true, skips with it otherwise. Run under `flock /tmp/sagebrew-docker.lock`. Never binds host
 * port 8080: the container's 8080 is published on a free loopback port.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  waitUntilEndpointDeleted,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { extractModelArchive, listFiles } from "../../packages/cli/src/local/model-archive.js";
import { main } from "../../packages/cli/src/main.js";
import { engineUnavailable, startEngine, type TestEngine } from "../kit/engine.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { run } from "../kit/process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const FOREIGN = "sagebrew-e2e/foreign-counter:test";
const CENTROIDS = join(ROOT, "examples", "custom-handler");
const CENTROIDS_TAG = "sagebrew-e2e/local-custom-handler:test";
const IRIS_PROJECT = join(ROOT, "examples", "iris-xgboost");
const IRIS_TAG = "sagebrew-e2e/local-iris:test";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IRIS = fileURLToPath(new URL("../kit/iris.csv", import.meta.url));
const credentials = { accessKeyId: "x", secretAccessKey: "x" };
const BIN = join(ROOT, "packages", "cli", "src", "bin.ts");
// Resolved here: the CLI child runs in a temp directory, where `--import tsx` would not be found.
const TSX = import.meta.resolve("tsx");

const unavailable = engineUnavailable();
if (unavailable && process.env.CI === "true") {
  throw new Error(`local Docker suite cannot run in CI: ${unavailable}`);
}

// `train`: counts the rows of every file in the `train` channel, reads its configuration files as
// SageMaker lays them out, meets every other host by name (multi-host jobs: each connects to every
// peer's port 7777 and waits to be connected to by every peer, so no host exits before the others
// have found it), and writes the model on the first host.
const TRAIN = `#!/usr/local/bin/node
import { lookup } from "node:dns/promises";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
const ml = "/opt/ml";
const hp = JSON.parse(readFileSync(ml + "/input/config/hyperparameters.json", "utf8"));
const rc = JSON.parse(readFileSync(ml + "/input/config/resourceconfig.json", "utf8"));
const dir = ml + "/input/data/train";
let rows = 0;
for (const f of readdirSync(dir)) rows += readFileSync(dir + "/" + f, "utf8").split("\\n").filter((l) => l.trim()).length;
const others = rc.hosts.filter((h) => h !== rc.current_host);
let met = 0;
const everyoneMet = new Promise((done) => {
  if (others.length === 0) done();
  createServer((s) => { s.end(); if (++met === others.length) done(); }).listen(7777);
});
const peers = {};
for (const h of others) {
  for (let i = 0; ; i++) {
    try {
      const { address } = await lookup(h);
      await new Promise((ok, fail) => connect(7777, address, ok).on("error", fail));
      peers[h] = address;
      break;
    } catch (e) {
      if (i === 600) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
await everyoneMet;
console.log("counted " + rows + " rows on " + rc.current_host + " for job " + process.env.TRAINING_JOB_NAME);
if (hp.fail === "yes") {
  writeFileSync(ml + "/output/failure", "AlgorithmError: told to fail");
  process.exit(3);
}
if (rc.current_host === rc.hosts[0]) {
  mkdirSync(ml + "/model", { recursive: true });
  writeFileSync(ml + "/model/counter.json", JSON.stringify({ rows, scale: Number(hp.scale), hosts: rc.hosts, peers: Object.keys(peers) }));
}
// The peers' server would keep the process alive.
process.exit(0);
`;

// `serve`: answers /ping once the model is read, and /invocations with the row count times the
// number sent; stops on SIGTERM (it is PID 1).
const SERVE = `#!/usr/local/bin/node
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
const model = JSON.parse(readFileSync("/opt/ml/model/counter.json", "utf8"));
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    if (req.url === "/ping") { res.writeHead(200).end(); return; }
    if (req.url === "/invocations") {
      const n = Number(body);
      if (!Number.isFinite(n)) { res.writeHead(400, { "content-type": "text/plain" }).end("not a number: " + body); return; }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ answer: n * model.rows * model.scale, accept: req.headers.accept }));
      return;
    }
    res.writeHead(404).end();
  });
});
server.listen(8080, () => console.log("serving " + model.rows + " rows on 8080"));
process.on("SIGTERM", () => { console.log("serve: SIGTERM"); server.close(() => process.exit(0)); });
`;

/** `sagebrew build DIR -t TAG` against the test's engine; returns the image's labels. */
async function sagebrewBuild(engine: TestEngine, dir: string, tag: string): Promise<Record<string, string>> {
  let err = "";
  const sink = (append: (s: string) => void) =>
    ({
      write(chunk: string | Uint8Array) {
        append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const code = await main(["build", dir, "-t", tag, "--base-image", engine.baseImage, "-q"], {
    stdout: sink(() => {}),
    stderr: sink((s) => {
      err += s;
    }),
    env: engine.env,
    cwd: ROOT,
  });
  assert.equal(code, 0, err);
  return JSON.parse(engine.docker(["image", "inspect", "--format", "{{json .Config.Labels}}", tag]).stdout);
}

describe(
  "sagebrew local runs a foreign image in a real Docker engine",
  { skip: unavailable ? `skipped: ${unavailable}` : false },
  () => {
    let engine: TestEngine;
    let work: string;
    let local: RunningLocal | undefined;
    let sm: SageMakerClient;
    let rt: SageMakerRuntimeClient;
    let modelUrl: string;

    const job = (name: string, over: Partial<CreateTrainingJobCommandInput> = {}) =>
      ({
        TrainingJobName: name,
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: FOREIGN, TrainingInputMode: "File" },
        HyperParameters: { scale: "2" },
        InputDataConfig: [
          {
            ChannelName: "train",
            ContentType: "text/csv",
            DataSource: {
              S3DataSource: {
                S3DataType: "S3Prefix",
                S3Uri: pathToFileURL(IRIS).href,
                S3DataDistributionType: "FullyReplicated",
              },
            },
          },
        ],
        OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
        ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        ...over,
      }) satisfies CreateTrainingJobCommandInput;

    const train = async (input: CreateTrainingJobCommandInput) => {
      await sm.send(new CreateTrainingJobCommand(input));
      await waitUntilTrainingJobCompletedOrStopped(
        { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
        { TrainingJobName: input.TrainingJobName },
      ).catch(() => undefined);
      return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: input.TrainingJobName }));
    };

    /** Names of the engine's containers and networks that sagebrew local made. */
    const leftovers = () => ({
      containers: engine
        .docker(["ps", "-a", "--filter", "name=sagebrew-local-", "--format", "{{.Names}}"])
        .stdout.split("\n")
        .filter(Boolean),
      networks: engine
        .docker(["network", "ls", "--filter", "name=sagebrew-local-", "--format", "{{.Name}}"])
        .stdout.split("\n")
        .filter(Boolean),
    });

    before(async () => {
      engine = await startEngine({ log: (l) => process.stderr.write(`# ${l}\n`) });
      work = await mkdtemp(join(tmpdir(), "sagebrew-local-docker-"));
      const ctx = join(work, "image");
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, "train"), TRAIN, { mode: 0o755 });
      await writeFile(join(ctx, "serve"), SERVE, { mode: 0o755 });
      await writeFile(
        join(ctx, "Dockerfile"),
        `FROM ${engine.baseImage}\nCOPY train serve /usr/local/bin/\nWORKDIR /opt/ml\n`,
      );
      engine.docker(["build", "-q", "-t", FOREIGN, ctx]);
      const labels = JSON.parse(
        engine.docker(["image", "inspect", "--format", "{{json .Config.Labels}}", FOREIGN]).stdout,
      ) as Record<string, string> | null;
      assert.equal(
        labels?.["dev.sagebrew.version"],
        undefined,
        "the foreign image must not look like sagebrew's",
      );
      local = await startLocal(join(work, "state"), { env: engine.env });
      const config = { endpoint: local.url, region: "us-east-1", credentials };
      sm = new SageMakerClient(config);
      rt = new SageMakerRuntimeClient(config);
    });

    after(async () => {
      await local?.stop();
      if (engine) {
        // Whatever a failed test left behind, by name.
        const left = leftovers();
        for (const c of left.containers) engine.docker(["rm", "-f", c], { check: false });
        for (const n of left.networks) engine.docker(["network", "rm", n], { check: false });
        await engine.stop();
      }
      if (work) await rm(work, { recursive: true, force: true });
    });

    test("CreateTrainingJob runs the image's train in Docker: Completed, the model in the file:// output", async () => {
      const d = await train(job("foreign-one"));
      assert.equal(d.TrainingJobStatus, "Completed", `${d.FailureReason}\n${local!.stderr()}`);
      assert.deepEqual(
        d.SecondaryStatusTransitions?.map((t) => t.Status),
        ["Starting", "Downloading", "Training", "Uploading", "Completed"],
      );
      modelUrl = d.ModelArtifacts!.S3ModelArtifacts!;
      assert.equal(modelUrl, pathToFileURL(join(work, "out", "foreign-one", "output", "model.tar.gz")).href);
      const dir = join(work, "model-one");
      await extractModelArchive(fileURLToPath(modelUrl), dir);
      assert.deepEqual(await listFiles(dir), ["counter.json"]);
      const rows = (await readFile(IRIS, "utf8")).split("\n").filter((l) => l.trim()).length;
      assert.deepEqual(JSON.parse(await readFile(join(dir, "counter.json"), "utf8")), {
        rows,
        scale: 2,
        hosts: ["algo-1"],
        peers: [],
      });
      assert.deepEqual(leftovers(), { containers: [], networks: [] });
    });

    test("sagebrew train --instance-type --image <local tag> runs the image from this machine: no push to ECR", async () => {
      const dir = join(work, "cli-job");
      await mkdir(join(dir, "input", "config"), { recursive: true });
      await mkdir(join(dir, "input", "data", "train"), { recursive: true });
      await writeFile(join(dir, "input", "config", "hyperparameters.json"), JSON.stringify({ scale: "3" }));
      await writeFile(join(dir, "input", "data", "train", "iris.csv"), await readFile(IRIS));
      // The engine's socket is there too: only the design, not a missing engine, keeps it from pushing.
      const r = await run(
        process.execPath,
        [
          "--conditions=sagebrew-source",
          "--import",
          TSX,
          BIN,
          "train",
          dir,
          "--instance-type",
          "ml.m5.large",
          "--image",
          FOREIGN,
          "--role",
          ROLE,
          "--job-name",
          "cli-foreign",
          "--download",
        ],
        {
          env: {
            ...engine.env,
            AWS_ENDPOINT_URL: local!.url,
            AWS_ACCESS_KEY_ID: "x",
            AWS_SECRET_ACCESS_KEY: "x",
            AWS_REGION: "us-east-1",
          },
          cwd: work,
          timeoutMs: 120_000,
        },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr + local!.stderr());
      assert.ok(
        r.stderr.includes(
          `${FOREIGN} is a local image: sagebrew local runs it from this machine, no push to ECR`,
        ),
        r.stderr,
      );
      assert.doesNotMatch(r.stdout + r.stderr, /pushing it to Amazon ECR/);
      assert.match(r.stdout, /^training job cli-foreign: Completed$/m);
      // The image's own train ran (in Docker), as its log line and its model say.
      const rows = (await readFile(IRIS, "utf8")).split("\n").filter((l) => l.trim()).length;
      assert.match(r.stdout + r.stderr, new RegExp(`counted ${rows} rows on algo-1 for job cli-foreign`));
      assert.deepEqual(JSON.parse(await readFile(join(dir, "model", "counter.json"), "utf8")), {
        rows,
        scale: 3,
        hosts: ["algo-1"],
        peers: [],
      });
      assert.deepEqual(leftovers(), { containers: [], networks: [] });
    });

    test("a failing train gives FailureReason from the failure file the container wrote", async () => {
      const d = await train(job("foreign-fail", { HyperParameters: { scale: "2", fail: "yes" } }));
      assert.equal(d.TrainingJobStatus, "Failed");
      assert.equal(d.FailureReason, "AlgorithmError: told to fail");
      assert.deepEqual(leftovers(), { containers: [], networks: [] });
    });

    test("an image the engine cannot run fails the job with the engine's reason", async () => {
      // Port 9 on loopback refuses: the pull fails at once, and loopback registries need no TLS.
      const d = await train(
        job("foreign-absent", {
          AlgorithmSpecification: {
            TrainingImage: "127.0.0.1:9/sagebrew-e2e/absent:1",
            TrainingInputMode: "File",
          },
        }),
      );
      assert.equal(d.TrainingJobStatus, "Failed");
      assert.match(
        d.FailureReason ?? "",
        /^ClientError: Cannot start image 127\.0\.0\.1:9\/sagebrew-e2e\/absent:1 on algo-1: .*127\.0\.0\.1:9.*refused/,
      );
      assert.deepEqual(leftovers(), { containers: [], networks: [] });
    });

    test("InstanceCount 2 runs two containers on the job's own network, meeting each other by name", async () => {
      const d = await train(
        job("foreign-two", {
          ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 2, VolumeSizeInGB: 5 },
        }),
      );
      assert.equal(d.TrainingJobStatus, "Completed", `${d.FailureReason}\n${local!.stderr()}`);
      const dir = join(work, "model-two");
      await extractModelArchive(fileURLToPath(d.ModelArtifacts!.S3ModelArtifacts!), dir);
      const model = JSON.parse(await readFile(join(dir, "counter.json"), "utf8"));
      assert.deepEqual(model.hosts, ["algo-1", "algo-2"]);
      assert.deepEqual(model.peers, ["algo-2"]);
      assert.deepEqual(leftovers(), { containers: [], networks: [] });
    });

    test("CreateEndpoint → InService → InvokeEndpoint answers as the container does → DeleteEndpoint stops the container", async () => {
      assert.ok(modelUrl, "needs the first test's model");
      await sm.send(
        new CreateModelCommand({
          ModelName: "foreign-model",
          ExecutionRoleArn: ROLE,
          PrimaryContainer: { Image: FOREIGN, ModelDataUrl: modelUrl },
        }),
      );
      await sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: "foreign-config",
          ProductionVariants: [
            {
              VariantName: "AllTraffic",
              ModelName: "foreign-model",
              InitialInstanceCount: 1,
              InstanceType: "ml.m5.large",
            },
          ],
        }),
      );
      await sm.send(
        new CreateEndpointCommand({ EndpointName: "foreign-ep", EndpointConfigName: "foreign-config" }),
      );
      await waitUntilEndpointInService(
        { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
        { EndpointName: "foreign-ep" },
      ).catch(() => undefined);
      const ep = await sm.send(new DescribeEndpointCommand({ EndpointName: "foreign-ep" }));
      assert.equal(ep.EndpointStatus, "InService", `${ep.FailureReason}\n${local!.stderr()}`);
      const running = leftovers().containers;
      assert.equal(running.length, 1, `one container serves: ${running.join(", ")}`);
      assert.match(running[0]!, /^sagebrew-local-ep-foreign-ep-/);

      const res = await rt.send(
        new InvokeEndpointCommand({
          EndpointName: "foreign-ep",
          Body: new TextEncoder().encode("3"),
          ContentType: "text/plain",
          Accept: "application/json",
        }),
      );
      assert.equal(res.ContentType, "application/json");
      assert.equal(res.InvokedProductionVariant, "AllTraffic");
      assert.deepEqual(JSON.parse(new TextDecoder().decode(res.Body)), {
        answer: 3 * 150 * 2,
        accept: "application/json",
      });
      // A 4xx of the container is SageMaker's ModelError with the container's status and body.
      const bad = await rt
        .send(
          new InvokeEndpointCommand({
            EndpointName: "foreign-ep",
            Body: new TextEncoder().encode("three"),
            ContentType: "text/plain",
          }),
        )
        .then(
          () => undefined,
          (e: { name: string; OriginalStatusCode?: number; OriginalMessage?: string }) => e,
        );
      assert.equal(bad?.name, "ModelError");
      assert.equal(bad?.OriginalStatusCode, 400);
      assert.equal(bad?.OriginalMessage, "not a number: three");

      // Transform jobs run on sagebrew's runtime only: a model whose image runs in Docker is refused.
      const transform = await sm
        .send(
          new CreateTransformJobCommand({
            TransformJobName: "foreign-transform",
            ModelName: "foreign-model",
            TransformInput: {
              DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(IRIS).href } },
              ContentType: "text/csv",
            },
            TransformOutput: { S3OutputPath: pathToFileURL(join(work, "transform-out")).href },
            TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
          }),
        )
        .then(
          () => undefined,
          (e: Error) => e,
        );
      assert.equal(transform?.name, "ValidationException");
      assert.match(
        transform?.message ?? "",
        /^Cannot run transform job foreign-transform on image sagebrew-e2e\/foreign-counter:test: sagebrew local runs transform jobs on sagebrew's runtime only .*; deploy it to an endpoint instead$/,
      );

      await sm.send(new DeleteEndpointCommand({ EndpointName: "foreign-ep" }));
      await waitUntilEndpointDeleted(
        { client: sm, maxWaitTime: 120, minDelay: 1, maxDelay: 2 },
        { EndpointName: "foreign-ep" },
      );
      // The container stops after DeleteEndpoint; `docker ps -a` no longer lists it (run with --rm).
      let left = leftovers().containers;
      for (let i = 0; i < 300 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = leftovers().containers;
      }
      assert.deepEqual(left, []);
    });

    test("a Docker endpoint survives a kill -9 of sagebrew local (its container is replaced) and a clean restart", async () => {
      assert.ok(modelUrl, "needs the first test's model");
      const invoke = async () =>
        JSON.parse(
          new TextDecoder().decode(
            (
              await rt.send(
                new InvokeEndpointCommand({
                  EndpointName: "foreign-restart",
                  Body: new TextEncoder().encode("1"),
                }),
              )
            ).Body,
          ),
        ).answer;
      const restart = async () => {
        local = await startLocal(join(work, "state"), { env: engine.env });
        const config = { endpoint: local.url, region: "us-east-1", credentials };
        sm = new SageMakerClient(config);
        rt = new SageMakerRuntimeClient(config);
      };
      const inService = async () => {
        await waitUntilEndpointInService(
          { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
          { EndpointName: "foreign-restart" },
        ).catch(() => undefined);
        const ep = await sm.send(new DescribeEndpointCommand({ EndpointName: "foreign-restart" }));
        assert.equal(ep.EndpointStatus, "InService", `${ep.FailureReason}\n${local!.stderr()}`);
      };
      const containerId = () =>
        engine
          .docker(["ps", "-q", "--no-trunc", "--filter", "name=sagebrew-local-ep-foreign-restart-"])
          .stdout.trim();

      await sm.send(
        new CreateEndpointCommand({ EndpointName: "foreign-restart", EndpointConfigName: "foreign-config" }),
      );
      await inService();
      assert.equal(await invoke(), 300);
      const first = containerId();
      assert.match(first, /^[0-9a-f]{64}$/);

      // kill -9: the container outlives its server; the next start stops it and starts the endpoint anew.
      await local!.kill();
      assert.equal(containerId(), first, "the container keeps running after its server was killed");
      await restart();
      assert.match(
        await local!.stderrMatching(/stopped \d+ container/),
        /stopped 1 container\(s\) left running by an earlier sagebrew local/,
      );
      await inService();
      assert.equal(await invoke(), 300);
      const second = containerId();
      assert.match(second, /^[0-9a-f]{64}$/);
      assert.notEqual(second, first);

      // A clean stop stops the container; the endpoint comes back up at the next start.
      assert.equal(await local!.stop(), 0);
      assert.equal(containerId(), "");
      await restart();
      await inService();
      assert.equal(await invoke(), 300);

      await sm.send(new DeleteEndpointCommand({ EndpointName: "foreign-restart" }));
      await waitUntilEndpointDeleted(
        { client: sm, maxWaitTime: 120, minDelay: 1, maxDelay: 2 },
        { EndpointName: "foreign-restart" },
      );
      for (let i = 0; i < 300 && containerId() !== ""; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(containerId(), "");
    });

    test("an image sagebrew built from a project with its own algorithm and handler runs its code in Docker, not XGBoost on the host", async () => {
      const tsc = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", CENTROIDS],
        {
          encoding: "utf8",
        },
      );
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      const labels = await sagebrewBuild(engine, CENTROIDS, CENTROIDS_TAG);
      assert.equal(labels["dev.sagebrew.code"], "project");
      assert.ok(labels["dev.sagebrew.version"]);
      const data = pathToFileURL(join(CENTROIDS, "local", "input", "data", "train")).href;
      const d = await train(
        job("centroids", {
          AlgorithmSpecification: { TrainingImage: CENTROIDS_TAG, TrainingInputMode: "File" },
          HyperParameters: { epochs: "5" },
          InputDataConfig: [
            {
              ChannelName: "train",
              ContentType: "text/csv",
              DataSource: {
                S3DataSource: {
                  S3DataType: "S3Prefix",
                  S3Uri: data,
                  S3DataDistributionType: "FullyReplicated",
                },
              },
            },
          ],
        }),
      );
      assert.equal(d.TrainingJobStatus, "Completed", `${d.FailureReason}\n${local!.stderr()}`);
      const dir = join(work, "model-centroids");
      await extractModelArchive(fileURLToPath(d.ModelArtifacts!.S3ModelArtifacts!), dir);
      assert.ok(
        (await listFiles(dir)).includes("centroids.json"),
        "the project's algorithm wrote no centroids.json",
      );
      // It ran in the container: its /opt/ml's resourceconfig.json names eth0, not the host's lo.
      const rc = JSON.parse(
        await readFile(
          join(
            work,
            "state",
            "training-jobs",
            "centroids",
            "algo-1",
            "input",
            "config",
            "resourceconfig.json",
          ),
          "utf8",
        ),
      );
      assert.equal(rc.network_interface_name, "eth0");

      await sm.send(
        new CreateModelCommand({
          ModelName: "centroids-model",
          ExecutionRoleArn: ROLE,
          PrimaryContainer: { Image: CENTROIDS_TAG, ModelDataUrl: d.ModelArtifacts!.S3ModelArtifacts! },
        }),
      );
      await sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: "centroids-config",
          ProductionVariants: [
            {
              VariantName: "AllTraffic",
              ModelName: "centroids-model",
              InitialInstanceCount: 1,
              InstanceType: "ml.m5.large",
            },
          ],
        }),
      );
      await sm.send(
        new CreateEndpointCommand({ EndpointName: "centroids-ep", EndpointConfigName: "centroids-config" }),
      );
      await waitUntilEndpointInService(
        { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
        { EndpointName: "centroids-ep" },
      ).catch(() => undefined);
      const ep = await sm.send(new DescribeEndpointCommand({ EndpointName: "centroids-ep" }));
      assert.equal(ep.EndpointStatus, "InService", `${ep.FailureReason}\n${local!.stderr()}`);
      const res = await rt.send(
        new InvokeEndpointCommand({
          EndpointName: "centroids-ep",
          Body: new TextEncoder().encode("5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n"),
          ContentType: "text/csv",
          Accept: "text/csv",
        }),
      );
      assert.equal(new TextDecoder().decode(res.Body), "setosa\nvirginica\n");
      await sm.send(new DeleteEndpointCommand({ EndpointName: "centroids-ep" }));
      await waitUntilEndpointDeleted(
        { client: sm, maxWaitTime: 120, minDelay: 1, maxDelay: 2 },
        { EndpointName: "centroids-ep" },
      );
    });

    test("an image built without an engine (--engine none, docker load) runs in sagebrew local as docker build's does", async () => {
      // The project's code must be compiled (the test above does it; again here, so this test stands alone).
      const tsc = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", CENTROIDS],
        {
          encoding: "utf8",
        },
      );
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      // The base from the loopback registry: the one docker build uses, so no .deb file is fetched.
      const base = `${engine.registry}/library/node:26-trixie-slim`;
      engine.docker(["tag", engine.baseImage, base]);
      engine.docker(["push", base]);
      const archive = join(work, "engineless.tar");
      const tag = "sagebrew-e2e/local-engineless:test";
      const built = spawnSync(
        process.execPath,
        [
          join(ROOT, "packages/cli/bin/sagebrew"),
          "build",
          CENTROIDS,
          "--engine",
          "none",
          "--base-image",
          base,
          "--output",
          archive,
          "-t",
          tag,
          "-q",
        ],
        { encoding: "utf8", env: { ...engine.env, SOURCE_DATE_EPOCH: "1767225600" } },
      );
      assert.equal(built.status, 0, built.stderr);
      engine.docker(["load", "-i", archive]);
      const labels = JSON.parse(
        engine.docker(["image", "inspect", "--format", "{{json .Config.Labels}}", tag]).stdout,
      );
      assert.equal(labels["dev.sagebrew.code"], "project");
      const data = pathToFileURL(join(CENTROIDS, "local", "input", "data", "train")).href;
      const d = await train(
        job("centroids-engineless", {
          AlgorithmSpecification: { TrainingImage: tag, TrainingInputMode: "File" },
          HyperParameters: { epochs: "5" },
          InputDataConfig: [
            {
              ChannelName: "train",
              ContentType: "text/csv",
              DataSource: {
                S3DataSource: {
                  S3DataType: "S3Prefix",
                  S3Uri: data,
                  S3DataDistributionType: "FullyReplicated",
                },
              },
            },
          ],
        }),
      );
      assert.equal(d.TrainingJobStatus, "Completed", `${d.FailureReason}\n${local!.stderr()}`);
      const dir = join(work, "model-centroids-engineless");
      await extractModelArchive(fileURLToPath(d.ModelArtifacts!.S3ModelArtifacts!), dir);
      assert.ok(
        (await listFiles(dir)).includes("centroids.json"),
        "the project's algorithm wrote no centroids.json",
      );
      const rc = JSON.parse(
        await readFile(
          join(
            work,
            "state",
            "training-jobs",
            "centroids-engineless",
            "algo-1",
            "input",
            "config",
            "resourceconfig.json",
          ),
          "utf8",
        ),
      );
      assert.equal(rc.network_interface_name, "eth0", "it ran in the container");
    });

    test("an image sagebrew built from a project without code of its own trains on the host's runtime", async () => {
      const labels = await sagebrewBuild(engine, IRIS_PROJECT, IRIS_TAG);
      assert.equal(labels["dev.sagebrew.code"], "builtin");
      const data = pathToFileURL(
        join(IRIS_PROJECT, "local_test", "test_dir", "input", "data", "training"),
      ).href;
      const d = await train(
        job("iris-builtin", {
          AlgorithmSpecification: { TrainingImage: IRIS_TAG, TrainingInputMode: "File" },
          HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "5" },
          InputDataConfig: [
            {
              ChannelName: "training",
              ContentType: "text/csv",
              DataSource: {
                S3DataSource: {
                  S3DataType: "S3Prefix",
                  S3Uri: data,
                  S3DataDistributionType: "FullyReplicated",
                },
              },
            },
          ],
        }),
      );
      assert.equal(d.TrainingJobStatus, "Completed", `${d.FailureReason}\n${local!.stderr()}`);
      const rc = JSON.parse(
        await readFile(
          join(
            work,
            "state",
            "training-jobs",
            "iris-builtin",
            "algo-1",
            "input",
            "config",
            "resourceconfig.json",
          ),
          "utf8",
        ),
      );
      assert.equal(rc.network_interface_name, "lo");
      const dir = join(work, "model-iris");
      await extractModelArchive(fileURLToPath(d.ModelArtifacts!.S3ModelArtifacts!), dir);
      assert.ok((await listFiles(dir)).includes("xgboost-model"));
    });
  },
);
