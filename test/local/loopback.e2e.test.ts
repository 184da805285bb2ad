/**
 * The processes `sagebrew local` starts on this machine listen on loopback only: once an endpoint
 * is InService, every socket its `serve` process group listens on (read from /proc) is on
 * 127.0.0.1 or ::1; a multi-model endpoint's container, whose `/models` routes load and unload
 * models, cannot be reached on the machine's other address; a transform's `serve` is loopback
 * too. (`serve` in a container still listens on every interface: Docker publishes its port.)
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";
import { startServe } from "../../packages/cli/src/local/transform/index.js";
import { irisModelBytes } from "../kit/iris.js";
import { SERVE_FROM_SOURCE } from "../kit/process.js";
import { isLoopback, listeningSockets, nonLoopbackAddress } from "../kit/sockets.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";

let work: string;
let local: LocalSageMaker;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-loopback-"));
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: { ...process.env, SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
    log: () => undefined,
  });
  const config = {
    endpoint: local.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  };
  sm = new SageMakerClient(config);
  rt = new SageMakerRuntimeClient(config);
  const src = join(work, "model-src");
  await mkdir(join(work, "models"), { recursive: true });
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "xgboost-model"), await irisModelBytes());
  await packModelArchive(src, join(work, "models", "iris.tar.gz"));
});

after(async () => {
  await local?.close();
  await rm(work, { recursive: true, force: true });
});

async function deploy(name: string, container: Record<string, unknown>): Promise<void> {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ...container },
    }),
  );
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [
        { VariantName: "AllTraffic", ModelName: name, InitialInstanceCount: 1, InstanceType: "ml.m5.large" },
      ],
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService(
    { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
    { EndpointName: name },
  ).catch(() => undefined);
  const d = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
  assert.equal(d.EndpointStatus, "InService", d.FailureReason);
}

/** The pid of the endpoint's one `serve` process, from sagebrew local's process records. */
async function servePid(endpoint: string): Promise<number> {
  const dir = join(local.stateDir, "run");
  const record = (await readdir(dir)).find((f) => f.startsWith(`sagebrew-local-ep-${endpoint}-`));
  assert.ok(record, `no process record for ${endpoint}`);
  return (JSON.parse(await readFile(join(dir, record), "utf8")) as { pid: number }).pid;
}

/** Resolves with the error code of a connection attempt, or "connected". */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe("processes sagebrew local starts listen on loopback only", () => {
  it("an endpoint's serve, once InService", { timeout: 300_000 }, async () => {
    await deploy("single", { ModelDataUrl: pathToFileURL(join(work, "models", "iris.tar.gz")).href });
    const sockets = listeningSockets(await servePid("single"));
    assert.ok(sockets.length > 0, "serve listens somewhere");
    assert.deepEqual(
      sockets.filter((s) => !isLoopback(s.address)),
      [],
      `serve listens on ${JSON.stringify(sockets)}`,
    );
  });

  it(
    "a multi-model endpoint: its /models routes are not reachable on the machine's other address",
    {
      timeout: 300_000,
    },
    async () => {
      await deploy("multi", {
        Mode: "MultiModel",
        ModelDataUrl: pathToFileURL(join(work, "models")).href + "/",
      });
      const r = await rt.send(
        new InvokeEndpointCommand({
          EndpointName: "multi",
          TargetModel: "iris.tar.gz",
          ContentType: "text/csv",
          Body: Buffer.from("5.1,3.5,1.4,0.2"),
        }),
      );
      assert.ok(Buffer.from(r.Body!).toString().length > 0);
      const sockets = listeningSockets(await servePid("multi"));
      assert.ok(sockets.length > 0);
      assert.deepEqual(
        sockets.filter((s) => !isLoopback(s.address)),
        [],
      );
      const other = nonLoopbackAddress();
      if (other !== undefined) {
        for (const { port } of sockets)
          assert.equal(await tryConnect(other, port), "ECONNREFUSED", `${other}:${port}`);
      }
      for (const { address, port } of sockets)
        assert.equal(await tryConnect(address.replace(/^\[|\]$/g, ""), port), "connected");
    },
  );

  it("a transform job's serve", { timeout: 120_000 }, async () => {
    const base = join(work, "transform-ml");
    await mkdir(join(base, "model"), { recursive: true });
    await writeFile(join(base, "model", "xgboost-model"), await irisModelBytes());
    const serve = await startServe({ command: SERVE_FROM_SOURCE, baseDir: base, env: process.env });
    try {
      const sockets = listeningSockets(serve.pid);
      assert.ok(sockets.some((s) => s.port === serve.port));
      assert.deepEqual(
        sockets.filter((s) => !isLoopback(s.address)),
        [],
      );
    } finally {
      await serve.stop();
    }
  });
});
