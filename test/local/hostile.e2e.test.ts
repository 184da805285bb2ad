/**
 * `sagebrew local` used as a hostile (or merely unlucky) user would, with the CLI as users start it
 * and real clients: 50 concurrent creates of one name per kind; 500 concurrent invocations while an
 * endpoint is updated four times, none failing; kill -9 of the server with a job training, an
 * endpoint being created, one being updated and one being deleted, then a restart: every resource
 * consistent and no process left behind; state files cut short or edited; and a 2 MB tmpfs as the
 * state directory: nothing acknowledged is lost, and nothing lost was acknowledged.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  ListModelsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from "@aws-sdk/client-sagemaker";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { irisModelBytes } from "../kit/iris.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { processesUnder } from "../kit/process.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IRIS = fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url));
const ROW = "6.7,3.1,5.6,2.4\n";
/** Code a job runs before `train` (through NODE_OPTIONS): it ignores SIGTERM and never trains. */
const STUCK = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1e6); await new Promise(() => {});";

let work: string;
let modelUrl: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-hostile-"));
  const src = join(work, "model-src");
  await mkdir(src);
  await writeFile(join(src, "xgboost-model"), await irisModelBytes());
  await packModelArchive(src, join(work, "model.tar.gz"));
  modelUrl = pathToFileURL(join(work, "model.tar.gz")).href;
});

/** Every server a test started: a failing test leaves none running. */
const started: RunningLocal[] = [];

async function launch(state: string, options: Parameters<typeof startLocal>[1] = {}): Promise<RunningLocal> {
  const local = await startLocal(state, options);
  started.push(local);
  return local;
}

/** Kills every server still running (a test that failed midway). */
async function killAll(): Promise<void> {
  await Promise.all(started.splice(0).map((l) => l.kill()));
}

after(async () => {
  await killAll();
  // And any container a failing test's server left behind, by its process group.
  for (const { pid } of processesUnder(work)) {
    try {
      process.kill(-(identity(pid)?.pgid ?? pid), "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await rm(work, { recursive: true, force: true });
});

function client(local: RunningLocal): SageMakerClient {
  return new SageMakerClient({
    endpoint: local.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 1,
  });
}

/** A process's group and start time (clock ticks after boot), from /proc; undefined once it is gone. */
function identity(pid: number): { pgid: number; start: number } | undefined {
  try {
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp … starttime.
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1)!.split(" ");
    return { pgid: Number(f[2]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

/** Clock ticks since boot now (USER_HZ is 100 on Linux), comparable with a process's start time. */
const ticksNow = () => Math.ceil(Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 100) + 1;

/**
 * Processes that are still alive, started before `ticks` and in one of `groups`: what a kill -9 of
 * `sagebrew local` would leave behind, found by process group rather than by what they say they are.
 */
function survivorsOf(groups: ReadonlySet<number>, ticks: number): number[] {
  const left: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const id = identity(Number(name));
    if (id && groups.has(id.pgid) && id.start < ticks) left.push(Number(name));
  }
  return left;
}

async function until<T>(
  what: string,
  get: () => Promise<T>,
  done: (v: T) => boolean,
  seconds = 180,
): Promise<T> {
  let v = await get();
  for (let i = 0; i < seconds * 4 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 250));
    v = await get();
  }
  assert.ok(done(v), `${what}: ${JSON.stringify(v)}`);
  return v;
}

const endpointStatus = (sm: SageMakerClient, name: string) =>
  sm.send(new DescribeEndpointCommand({ EndpointName: name })).then(
    (d) => d.EndpointStatus as string,
    (e: Error) => (/Could not find endpoint/.test(e.message) ? "gone" : Promise.reject(e)),
  );

const settled = (s: string) => s === "InService" || s === "Failed" || s === "gone";

async function createModelAndConfig(sm: SageMakerClient, name: string): Promise<void> {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
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
}

function trainingJob(name: string, channel: string, change: Partial<CreateTrainingJobCommandInput> = {}) {
  return new CreateTrainingJobCommand({
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
    HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "5" },
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(channel).href } },
      },
    ],
    OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    ...change,
  });
}

/** One invocation over a kept-alive connection: its status (0 when the connection failed). */
function invoke(local: RunningLocal, endpoint: string, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: local.port,
        method: "POST",
        path: `/endpoints/${endpoint}/invocations`,
        headers: { "content-type": "text/csv", "content-length": ROW.length },
        agent,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(ROW);
  });
}

describe("sagebrew local under hostile use", { timeout: 1_200_000 }, () => {
  it("of 50 concurrent creates of one name, one wins, for every kind; one job and one endpoint run", async () => {
    const state = join(work, "creates");
    const local = await launch(state);
    try {
      const sm = client(local);
      const rows = join(work, "rows");
      await mkdir(rows);
      const lines = (await readFile(IRIS, "utf8")).trim().split("\n");
      await Promise.all(
        lines.map((l, i) => writeFile(join(rows, `${String(i).padStart(3, "0")}.csv`), `${l}\n`)),
      );
      const fifty = <T>(send: () => Promise<T>) => Promise.allSettled(Array.from({ length: 50 }, send));
      /** How many won; every other one was refused as SageMaker refuses a name taken (`exists`). */
      const won = (r: PromiseSettledResult<unknown>[], exists = /Cannot create already existing/) => {
        for (const x of r)
          if (x.status === "rejected") assert.match(String(x.reason), exists, (x.reason as Error).name);
        return r.filter((x) => x.status === "fulfilled").length;
      };
      const model = {
        ModelName: "m",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
      };
      assert.equal(won(await fifty(() => sm.send(new CreateModelCommand(model)))), 1, "CreateModel");
      const config = {
        EndpointConfigName: "c",
        ProductionVariants: [
          {
            VariantName: "AllTraffic",
            ModelName: "m",
            InitialInstanceCount: 1,
            InstanceType: "ml.m5.large" as const,
          },
        ],
      };
      assert.equal(
        won(await fifty(() => sm.send(new CreateEndpointConfigCommand(config)))),
        1,
        "CreateEndpointConfig",
      );
      const endpoints = await fifty(() =>
        sm.send(new CreateEndpointCommand({ EndpointName: "e", EndpointConfigName: "c" })),
      );
      assert.equal(won(endpoints), 1, "CreateEndpoint");
      const jobs = await fifty(() => sm.send(trainingJob("j", rows)));
      assert.equal(
        won(jobs, /^ResourceInUse: .*a training job with this name already exists/),
        1,
        "CreateTrainingJob",
      );
      assert.equal(await until("the endpoint", () => endpointStatus(sm, "e"), settled), "InService");
      // One container serves it: one /opt/ml under the endpoint's directory.
      const bases = new Set(processesUnder(join(state, "endpoints")).map((p) => p.base));
      assert.equal(bases.size, 1, [...bases].join(", "));
      const job = await until(
        "the job",
        () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "j" })),
        (d) => d.TrainingJobStatus !== "InProgress",
      );
      assert.equal(job.TrainingJobStatus, "Completed", job.FailureReason);
    } finally {
      assert.equal(await local.stop(), 0);
    }
    assert.deepEqual(processesUnder(state), []);
  });

  it("500 concurrent invocations during 4 UpdateEndpoints: not one fails", async () => {
    const state = join(work, "updates");
    const local = await launch(state);
    const agent = new Agent({ keepAlive: true, maxSockets: 500 });
    try {
      const sm = client(local);
      await createModelAndConfig(sm, "a");
      await createModelAndConfig(sm, "b");
      await sm.send(new CreateEndpointCommand({ EndpointName: "live", EndpointConfigName: "a" }));
      assert.equal(await until("live", () => endpointStatus(sm, "live"), settled), "InService");
      let updating = true;
      const statuses = new Map<number, number>();
      const worker = async () => {
        do {
          const status = await invoke(local, "live", agent);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        } while (updating);
      };
      const workers = Array.from({ length: 500 }, worker);
      try {
        for (const config of ["b", "a", "b", "a"]) {
          await sm.send(new UpdateEndpointCommand({ EndpointName: "live", EndpointConfigName: config }));
          const d = await until(
            `the update to ${config}`,
            () => sm.send(new DescribeEndpointCommand({ EndpointName: "live" })),
            (x) => x.EndpointStatus !== "Updating",
          );
          assert.deepEqual(
            [d.EndpointStatus, d.EndpointConfigName, d.FailureReason],
            ["InService", config, undefined],
          );
        }
      } finally {
        updating = false;
        await Promise.all(workers);
      }
      const ok = statuses.get(200) ?? 0;
      assert.deepEqual([...statuses.keys()], [200], JSON.stringify(Object.fromEntries(statuses)));
      assert.ok(ok >= 500, `${ok} invocations`);
    } finally {
      agent.destroy();
      assert.equal(await local.stop(), 0);
    }
    assert.deepEqual(processesUnder(state), []);
  });

  it("kill -9 mid-training, mid-create, mid-update and mid-delete; after a restart every resource is consistent and no process is left", async () => {
    const state = join(work, "killed");
    let local = await launch(state);
    let sm = client(local);
    await createModelAndConfig(sm, "k1");
    await createModelAndConfig(sm, "k2");
    for (const e of ["to-update", "to-delete"]) {
      await sm.send(new CreateEndpointCommand({ EndpointName: e, EndpointConfigName: "k1" }));
    }
    for (const e of ["to-update", "to-delete"])
      assert.equal(await until(e, () => endpointStatus(sm, e), settled), "InService");
    const channel = join(work, "iris-channel");
    await mkdir(channel, { recursive: true });
    await writeFile(join(channel, "iris.csv"), await readFile(IRIS));
    const stuck = {
      NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(STUCK).toString("base64")}`,
    };
    await sm.send(trainingJob("training", channel, { Environment: stuck }));
    await until(
      "training",
      () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "training" })),
      (d) => d.SecondaryStatus === "Training",
    );
    await sm.send(new CreateEndpointCommand({ EndpointName: "creating", EndpointConfigName: "k1" }));
    await sm.send(new UpdateEndpointCommand({ EndpointName: "to-update", EndpointConfigName: "k2" }));
    await sm.send(new DeleteEndpointCommand({ EndpointName: "to-delete" }));
    // A create in flight as the server dies: acknowledged or not, the state must agree with the answer.
    const inFlight = sm.send(trainingJob("in-flight", channel, { Environment: stuck })).then(
      () => "acknowledged",
      () => "not acknowledged",
    );
    // The containers running now, by process group: none may outlive the kill and the restart.
    const groups = new Set(
      processesUnder(state).flatMap((p) => {
        const id = identity(p.pid);
        return id ? [id.pgid] : [];
      }),
    );
    assert.ok(groups.size >= 3, `${groups.size} process groups`); // the job and the endpoints
    assert.ok(!groups.has(identity(local.pid)!.pgid), "containers run in process groups of their own");
    await local.kill();
    const killedAt = ticksNow();
    const answer = await inFlight;

    local = await launch(state, { env: {} });
    sm = client(local);
    try {
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "training" }));
      assert.equal(job.TrainingJobStatus, "Failed");
      assert.match(job.FailureReason ?? "", /sagebrew local stopped while the job was running/);
      const flown = await sm
        .send(new DescribeTrainingJobCommand({ TrainingJobName: "in-flight" }))
        .catch(() => undefined);
      if (answer === "acknowledged") assert.ok(flown, "an acknowledged create survives the kill");
      if (flown) assert.notEqual(flown.TrainingJobStatus, "InProgress");
      assert.equal(await until("creating", () => endpointStatus(sm, "creating"), settled), "InService");
      const updated = await until(
        "to-update",
        () => sm.send(new DescribeEndpointCommand({ EndpointName: "to-update" })),
        (d) => settled(d.EndpointStatus ?? ""),
      );
      assert.deepEqual([updated.EndpointStatus, updated.EndpointConfigName], ["InService", "k2"]);
      assert.equal(await until("to-delete", () => endpointStatus(sm, "to-delete"), settled), "gone");
      // Each serving endpoint has exactly one container, of its serving generation.
      const serving = async () =>
        processesUnder(join(state, "endpoints"))
          .map((p) => p.base.slice(join(state, "endpoints").length + 1).split("/")[0])
          .sort()
          .join(",");
      await until("one container per serving endpoint", serving, (b) => b === "creating,to-update", 60);
      assert.deepEqual(survivorsOf(groups, killedAt), [], "processes of the killed server left running");
      for (const kind of await readdir(join(state, "resources"))) {
        for (const f of await readdir(join(state, "resources", kind))) {
          assert.ok(f.endsWith(".json"), `${kind}/${f}`);
          JSON.parse(await readFile(join(state, "resources", kind, f), "utf8"));
        }
      }
    } finally {
      assert.equal(await local.stop(), 0);
    }
    assert.deepEqual(processesUnder(state), []);
  });

  it("state files cut short or edited are moved aside and reported; the rest is served", async () => {
    const state = join(work, "corrupt");
    let local = await launch(state);
    let sm = client(local);
    await createModelAndConfig(sm, "good");
    assert.equal(await local.stop(), 0);
    const models = join(state, "resources", "model");
    const good = await readFile(join(models, "good.json"), "utf8");
    await writeFile(join(models, "cut.json"), good.slice(0, good.length / 2));
    await writeFile(join(models, "renamed.json"), good);
    await writeFile(join(models, "binary.json"), Buffer.from([0, 159, 146, 150, 255]));
    await writeFile(
      join(state, "resources", "endpoint", "half.json"),
      '{"name":"half","EndpointName":"half"}',
    );
    await writeFile(
      join(state, "resources", "training-job", "odd.json"),
      JSON.stringify({ ...JSON.parse(good), name: "odd" }),
    );
    const configs = join(state, "resources", "endpoint-config");
    const config = JSON.parse(await readFile(join(configs, "good.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      join(configs, "typed.json"),
      JSON.stringify({
        ...config,
        name: "typed",
        EndpointConfigName: "typed",
        ProductionVariants: "AllTraffic",
      }),
    );
    local = await launch(state);
    sm = client(local);
    try {
      const said = await local.stderrMatching(/odd\.json/);
      for (const f of ["cut.json", "renamed.json", "binary.json", "half.json", "odd.json", "typed.json"])
        assert.match(said, new RegExp(`Cannot read .*${f.replace(".", "\\.")}: .*moved aside`));
      const listed = await sm.send(new ListModelsCommand({}));
      assert.deepEqual(
        listed.Models?.map((m) => m.ModelName),
        ["good"],
      );
      await assert.rejects(sm.send(new DescribeModelCommand({ ModelName: "cut" })), /Could not find model/);
      assert.equal(await endpointStatus(sm, "half"), "gone");
      // The names are free again.
      await createModelAndConfig(sm, "cut");
      assert.ok((await readdir(models)).includes("cut.json.unreadable"));
    } finally {
      assert.equal(await local.stop(), 0);
    }
  });

  it("on a 2 MB tmpfs as --state, nothing acknowledged is lost and nothing lost was acknowledged", async (t) => {
    const state = await tmpfs(t, "tmpfs");
    if (!state) return;
    try {
      let local = await launch(state);
      let sm = client(local);
      // Fill the disk but for a few pages, then create until it refuses.
      await fill(state, 48 * 1024);
      const acknowledged: string[] = [];
      const refused: string[] = [];
      for (let i = 0; i < 200 && refused.length < 5; i++) {
        const name = `m-${i}`;
        try {
          await sm.send(
            new CreateModelCommand({
              ModelName: name,
              ExecutionRoleArn: ROLE,
              PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
            }),
          );
          acknowledged.push(name);
        } catch (e) {
          assert.equal(
            (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
            500,
            String(e),
          );
          assert.match((e as Error).message, /^Cannot save model m-\d+ in .*: ENOSPC/);
          refused.push(name);
          // Nothing of it is shown.
          await assert.rejects(
            sm.send(new DescribeModelCommand({ ModelName: name })),
            /Could not find model/,
          );
        }
      }
      assert.ok(
        acknowledged.length > 0 && refused.length > 0,
        `${acknowledged.length} acknowledged, ${refused.length} refused`,
      );
      await local.kill();
      await rm(join(state, "filler"));
      local = await launch(state);
      sm = client(local);
      try {
        const listed = new Set<string>();
        let token: string | undefined;
        do {
          const page = await sm.send(new ListModelsCommand({ MaxResults: 100, NextToken: token }));
          for (const m of page.Models ?? []) listed.add(m.ModelName!);
          token = page.NextToken;
        } while (token);
        assert.deepEqual([...listed].sort(), [...acknowledged].sort());
      } finally {
        assert.equal(await local.stop(), 0);
      }
    } finally {
      await killAll();
      spawnSync("umount", [state]);
    }
  });

  it("on a full disk, a job whose data cannot be copied ends Failed saying why, and stays so", async (t) => {
    const state = await tmpfs(t, "tmpfs-job");
    if (!state) return;
    try {
      // A 1 MB channel where 256 KB are free: the job is written, its data is not.
      const channel = join(work, "big-channel");
      await mkdir(channel, { recursive: true });
      const rows = (await readFile(IRIS, "utf8")).trim();
      await writeFile(join(channel, "train.csv"), `${rows}\n`.repeat(Math.ceil(2 ** 20 / rows.length)));
      let local = await launch(state);
      let sm = client(local);
      await fill(state, 256 * 1024);
      await sm.send(trainingJob("full", channel));
      const ended = await until(
        "the job on a full disk",
        () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "full" })),
        (d) => d.TrainingJobStatus !== "InProgress",
        120,
      );
      assert.equal(ended.TrainingJobStatus, "Failed");
      assert.match(ended.FailureReason ?? "", /ENOSPC|no space/i);
      assert.deepEqual(processesUnder(state), []);
      await local.kill();
      local = await launch(state);
      sm = client(local);
      try {
        const again = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "full" }));
        assert.deepEqual(
          [again.TrainingJobStatus, again.FailureReason],
          [ended.TrainingJobStatus, ended.FailureReason],
        );
      } finally {
        assert.equal(await local.stop(), 0);
      }
    } finally {
      await killAll();
      spawnSync("umount", [state]);
    }
  });

  it("a job whose end cannot be written at once (as on a full disk) ends Failed once it can be", async (t) => {
    // A full disk would do, but the runner frees the job's files before it reports the end; an
    // immutable directory refuses the write whatever is freed (chattr +i works on tmpfs).
    const state = await tmpfs(t, "tmpfs-dies");
    if (!state) return;
    const jobs = join(state, "resources", "training-job");
    try {
      const channel = join(work, "small-channel");
      await mkdir(channel, { recursive: true });
      await writeFile(join(channel, "iris.csv"), await readFile(IRIS));
      const local = await launch(state);
      const sm = client(local);
      const stuck = {
        NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(STUCK).toString("base64")}`,
      };
      await sm.send(trainingJob("dies", channel, { Environment: stuck }));
      await until(
        "training",
        () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "dies" })),
        (d) => d.SecondaryStatus === "Training",
      );
      const [container] = processesUnder(state);
      assert.ok(container, "the job's process");
      const refused = spawnSync("chattr", ["+i", jobs]);
      if (refused.status !== 0) return t.skip(`cannot make a directory immutable here: ${refused.stderr}`);
      process.kill(-identity(container.pid)!.pgid, "SIGKILL");
      const said = await local.stderrMatching(/failed of training-job dies will be written again/);
      assert.equal(
        (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "dies" }))).TrainingJobStatus,
        "InProgress",
        "nothing is shown that is not on disk",
      );
      spawnSync("chattr", ["-i", jobs]);
      const ended = await until(
        "the job once it can be written",
        () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "dies" })),
        (d) => d.TrainingJobStatus !== "InProgress",
        90,
      );
      assert.equal(ended.TrainingJobStatus, "Failed");
      assert.match(ended.FailureReason ?? "", /^AlgorithmError: algo-1 was killed by SIGKILL/);
      assert.match(
        said,
        /Cannot save training-job dies .*; failed of training-job dies will be written again/,
      );
      assert.deepEqual(processesUnder(state), []);
      assert.equal(await local.stop(), 0);
    } finally {
      spawnSync("chattr", ["-i", jobs]);
      await killAll();
      spawnSync("umount", [state]);
    }
  });
});

/**
 * A 2 MB tmpfs mounted at `<work>/<name>`, or undefined after skipping the test, saying why, where
 * one cannot be mounted (not root, no mount in a container): the tests that fill a disk need a disk
 * of their own.
 */
async function tmpfs(t: { skip(reason: string): void }, name: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    t.skip("mounting a tmpfs needs root");
    return undefined;
  }
  const dir = join(work, name);
  await mkdir(dir);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mounted.stderr.toString().trim()}`);
    return undefined;
  }
  return dir;
}

/** Fills the file system of `dir` with one file but for `leave` bytes. */
async function fill(dir: string, leave: number): Promise<void> {
  const free = await statfs(dir);
  await writeFile(join(dir, "filler"), Buffer.alloc(Math.max(0, free.bavail * free.bsize - leave)));
}
