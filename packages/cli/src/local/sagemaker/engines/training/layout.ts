/**
 * A training job's hosts laid out as SageMaker lays out `/opt/ml` (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html): one
 * directory per host (`algo-1` … `algo-N`) with `input/config/{hyperparameters,inputdataconfig,
 * resourceconfig,checkpointconfig}.json`, every channel's objects under `input/data/<channel>/`
 * (split across hosts by key for `ShardedByS3Key`), Pipe-mode channels as the FIFO
 * `input/data/<channel>_0` fed once the program runs, and checkpoints copied in.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, constants as fsConstants } from "node:fs";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { DEFAULT_ML_ROOT, mlPaths } from "@sagebrew/runtime/core";
import type { TrainingJobDoc } from "../../docs.js";
import type { ObjectStorage, StoredObject } from "../../storage/index.js";
import { pathForKey } from "../../storage/index.js";

/** One host of a job, ready to run. */
export interface HostLayout {
  readonly host: string;
  /** The host's `/opt/ml`. */
  readonly root: string;
  /** Where the host's checkpoints live on this machine. */
  readonly checkpointDir: string;
  /** Docker: the checkpoint directory's path inside the container, when it is outside /opt/ml. */
  readonly checkpointMount?: readonly [string, string];
  /** Pipe-mode channels to feed once the program runs. */
  readonly pipes: ReadonlyArray<{ readonly fifo: string; readonly objects: readonly StoredObject[] }>;
}

export interface LayoutOptions {
  readonly jobDir: string;
  readonly storage: ObjectStorage;
  readonly runner: "runtime" | "docker";
  readonly log: (line: string) => void;
}

/** `algo-1` … `algo-N`. */
export function hostNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `algo-${i + 1}`);
}

/** The objects host `index` (0-based) of `count` receives: all, or every count-th by sorted key. */
export function shardObjects<T>(
  objects: readonly T[],
  distribution: string | undefined,
  index: number,
  count: number,
): T[] {
  if (distribution !== "ShardedByS3Key" || count === 1) return [...objects];
  return objects.filter((_, i) => i % count === index);
}

function inputDataConfig(job: TrainingJobDoc): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const c of job.InputDataConfig ?? []) {
    out[c.ChannelName] = {
      ...(c.ContentType ? { ContentType: c.ContentType } : {}),
      TrainingInputMode: c.InputMode ?? job.AlgorithmSpecification.TrainingInputMode,
      S3DistributionType: c.DataSource.S3DataSource?.S3DataDistributionType ?? "FullyReplicated",
      RecordWrapperType: c.RecordWrapperType ?? "None",
    };
  }
  return out;
}

/** Where `LocalPath` lands: inside the host's tree when it is under /opt/ml. */
function checkpointPlace(
  root: string,
  localPath: string,
  runner: "runtime" | "docker",
): { dir: string; configPath: string; mount?: readonly [string, string] } {
  const rel = posix.relative(DEFAULT_ML_ROOT, localPath);
  if (!rel.startsWith("..") && !posix.isAbsolute(rel)) {
    const dir = join(root, rel);
    return { dir, configPath: runner === "runtime" ? dir : localPath };
  }
  const dir = join(root, ".checkpoints");
  return runner === "runtime"
    ? { dir, configPath: dir }
    : { dir, configPath: localPath, mount: [dir, localPath] as const };
}

async function makeFifo(path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn("mkfifo", [path], { stdio: "ignore" });
    c.once("error", reject);
    c.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`mkfifo ${path} exited with ${code}`)),
    );
  });
}

/**
 * Lays out every host of `job` under `options.jobDir` and copies the data in.
 *
 * @throws Error with a sentence naming the object that could not be read, or whose key would
 *   place it outside its channel's (or the checkpoints') directory.
 */
export async function layoutTrainingJob(job: TrainingJobDoc, options: LayoutOptions): Promise<HostLayout[]> {
  const { storage, runner, log } = options;
  const count = job.ResourceConfig.InstanceCount ?? 1;
  const hosts = hostNames(count);
  const sortedHosts = [...hosts].sort();
  const channels = job.InputDataConfig ?? [];
  const listed = new Map<string, StoredObject[]>();
  for (const c of channels) {
    const src = c.DataSource.S3DataSource!;
    listed.set(c.ChannelName, await storage.list(src.S3Uri, src.S3DataType));
  }
  const checkpointIn = job.CheckpointConfig ? await storage.list(job.CheckpointConfig.S3Uri) : [];
  await rm(options.jobDir, { recursive: true, force: true });
  const layouts: HostLayout[] = [];
  for (const [index, host] of hosts.entries()) {
    const root = join(options.jobDir, host);
    const paths = mlPaths(root);
    for (const d of [paths.configDir, paths.dataDir, paths.modelDir, paths.outputDataDir]) {
      await mkdir(d, { recursive: true });
    }
    await writeFile(paths.hyperparameters, JSON.stringify(job.HyperParameters ?? {}));
    await writeFile(paths.inputDataConfig, JSON.stringify(inputDataConfig(job)));
    await writeFile(
      paths.resourceConfig,
      JSON.stringify({
        current_host: host,
        current_instance_type: job.ResourceConfig.InstanceType,
        current_group_name: "homogeneousCluster",
        hosts: sortedHosts,
        instance_groups: [
          {
            instance_group_name: "homogeneousCluster",
            instance_type: job.ResourceConfig.InstanceType,
            hosts: sortedHosts,
          },
        ],
        // Hosts on this machine talk over loopback; containers get their own interface.
        network_interface_name: runner === "runtime" ? "lo" : "eth0",
      }),
    );
    const place = checkpointPlace(root, job.CheckpointConfig?.LocalPath || "/opt/ml/checkpoints", runner);
    await mkdir(place.dir, { recursive: true });
    if (job.CheckpointConfig) {
      await writeFile(
        paths.checkpointConfig,
        JSON.stringify({ LocalPath: place.configPath, S3Path: job.CheckpointConfig.S3Uri }),
      );
      for (const o of checkpointIn)
        await storage.download(o.uri, pathForKey(place.dir, o, "the checkpoint directory"));
    }
    const pipes: Array<{ fifo: string; objects: StoredObject[] }> = [];
    for (const c of channels) {
      const src = c.DataSource.S3DataSource!;
      const mine = shardObjects(listed.get(c.ChannelName) ?? [], src.S3DataDistributionType, index, count);
      const mode = c.InputMode ?? job.AlgorithmSpecification.TrainingInputMode;
      if (mine.length === 0)
        log(`${host}: channel ${c.ChannelName} receives no objects (ShardedByS3Key over ${count} hosts)`);
      if (mode === "Pipe") {
        const fifo = join(paths.dataDir, `${c.ChannelName}_0`);
        await makeFifo(fifo);
        pipes.push({ fifo, objects: mine });
        continue;
      }
      const dir = join(paths.dataDir, c.ChannelName);
      await mkdir(dir, { recursive: true });
      for (const o of mine) {
        const dest = pathForKey(dir, o, `the directory of channel ${c.ChannelName}`);
        await storage.download(o.uri, dest);
      }
    }
    layouts.push({
      host,
      root,
      checkpointDir: place.dir,
      ...(place.mount ? { checkpointMount: place.mount } : {}),
      pipes,
    });
  }
  return layouts;
}

/**
 * Streams `objects` (downloaded one by one to `<scratch>-<n>`) into the FIFO, as SageMaker's Pipe mode
 * does; `cancel()` unblocks a writer whose reader never came.
 */
export function feedPipe(
  fifo: string,
  objects: readonly StoredObject[],
  storage: ObjectStorage,
  scratch: string,
): { done: Promise<void>; cancel(): void } {
  let cancelled = false;
  const out = createWriteStream(fifo);
  const done = (async () => {
    await new Promise<void>((resolve, reject) => {
      out.once("open", () => resolve());
      out.once("error", reject);
    });
    for (const [i, o] of objects.entries()) {
      if (cancelled) break;
      const tmp = `${scratch}-${i}`;
      await storage.download(o.uri, tmp);
      await new Promise<void>((resolve, reject) => {
        const src = createReadStream(tmp);
        src.once("error", reject);
        src.once("end", resolve);
        src.pipe(out, { end: false });
      });
      await rm(tmp, { force: true });
    }
    await new Promise<void>((resolve) => out.end(resolve));
  })();
  return {
    done: done.catch(() => undefined),
    cancel() {
      cancelled = true;
      // A writer still waiting for its reader: open the read side once, so its open returns.
      void open(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
        .then((fh) => fh.close())
        .catch(() => undefined)
        .finally(() => out.destroy());
    },
  };
}
