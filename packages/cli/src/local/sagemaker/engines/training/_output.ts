/**
 * A training job's output, gathered from its hosts and uploaded as SageMaker does: the model
 * directories merged into `<S3OutputPath>/<job>/output/model.tar.gz` (or the files themselves for
 * `CompressionType: NONE`), `/opt/ml/output/data` into `output.tar.gz`, and the checkpoints to
 * `CheckpointConfig.S3Uri`. Only regular files travel: a symbolic link is never followed.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { mlPaths } from "@sagebrew/runtime/core";
import { copyRegularFile, listFiles, NotRegularFile, packModelArchive } from "../../../model-archive.js";
import type { TrainingJobDoc } from "../../docs.js";
import { joinUri, type ObjectStorage } from "../../storage/index.js";
import type { HostLayout } from "./layout.js";

/**
 * The regular files a job left in one of its directories, for upload. A symbolic link there is
 * never followed: it fails the upload with a sentence naming it as the job sees it (`shownAs`,
 * e.g. `/opt/ml/model`), since what it points to is this machine's file, not the job's.
 */
async function jobFiles(dir: string, shownAs: string): Promise<string[]> {
  try {
    return await listFiles(dir);
  } catch (e) {
    if (!(e instanceof NotRegularFile)) throw e;
    const where = e.rel === "." ? shownAs : `${shownAs}/${e.rel}`;
    throw new Error(
      `${where} is ${e.what}: sagebrew local uploads regular files only and never follows a link (SageMaker's endpoints cannot extract a model archive holding links); write the file itself there`,
    );
  }
}

/** Copies every host's files of `sub` (model/, output/data/) into `dest`; the first host to write a name keeps it. */
async function mergeHosts(
  layouts: readonly HostLayout[],
  sub: { readonly dir: (root: string) => string; readonly shownAs: string },
  dest: string,
  warn: (m: string) => void,
) {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  const taken = new Set<string>();
  for (const l of layouts) {
    const dir = sub.dir(l.root);
    const shownAs = layouts.length > 1 ? `${l.host}:${sub.shownAs}` : sub.shownAs;
    for (const f of await jobFiles(dir, shownAs)) {
      if (taken.has(f)) {
        warn(`${l.host} also wrote ${f}; the archive keeps the first host's file`);
        continue;
      }
      taken.add(f);
      await mkdir(join(dest, f, ".."), { recursive: true });
      await copyRegularFile(join(dir, f), join(dest, f));
    }
  }
  return taken.size;
}

/** True when some host left something in its model directory (a stopped job uploads only then). */
export async function wroteModel(layouts: readonly HostLayout[]): Promise<boolean> {
  for (const l of layouts) {
    // Anything there but regular files is for the upload to refuse, saying so.
    const files = await listFiles(mlPaths(l.root).modelDir).catch(() => ["?"]);
    if (files.length) return true;
  }
  return false;
}

/**
 * Packs and uploads the model (and output data, checkpoints) of every host.
 *
 * @throws Error with a sentence: a link among the files, a storage that refused or did not answer.
 */
export async function uploadOutput(
  job: TrainingJobDoc,
  o: {
    readonly jobDir: string;
    readonly layouts: readonly HostLayout[];
    readonly storage: ObjectStorage;
    readonly log: (line: string) => void;
  },
): Promise<void> {
  const { jobDir, layouts, storage, log } = o;
  const warn = (m: string) => log(`sagebrew local: ${m}`);
  const out = job.OutputDataConfig;
  const base = joinUri(out.S3OutputPath, job.TrainingJobName, "output");
  const merged = join(jobDir, "merged-model");
  const files = await mergeHosts(
    layouts,
    { dir: (r) => mlPaths(r).modelDir, shownAs: "/opt/ml/model" },
    merged,
    warn,
  );
  if (out.CompressionType === "NONE") {
    for (const f of await listFiles(merged)) await storage.upload(join(merged, f), joinUri(base, "model", f));
  } else {
    const archive = join(jobDir, "model.tar.gz");
    await packModelArchive(merged, archive);
    await storage.upload(archive, joinUri(base, "model.tar.gz"));
  }
  log(`sagebrew local: uploaded ${files} model file(s) to ${job.ModelArtifacts.S3ModelArtifacts}`);
  const mergedData = join(jobDir, "merged-output-data");
  const outputData = { dir: (r: string) => mlPaths(r).outputDataDir, shownAs: "/opt/ml/output/data" };
  if ((await mergeHosts(layouts, outputData, mergedData, warn)) > 0) {
    const archive = join(jobDir, "output.tar.gz");
    await packModelArchive(mergedData, archive);
    await storage.upload(archive, joinUri(base, "output.tar.gz"));
  }
  if (job.CheckpointConfig) {
    for (const l of layouts) {
      const shownAs = job.CheckpointConfig.LocalPath || "/opt/ml/checkpoints";
      for (const f of await jobFiles(
        l.checkpointDir,
        layouts.length > 1 ? `${l.host}:${shownAs}` : shownAs,
      )) {
        if (f.endsWith(".sagemaker-uploading") || f.endsWith(".sagemaker-ignore")) continue;
        await storage.upload(join(l.checkpointDir, f), joinUri(job.CheckpointConfig.S3Uri, f));
      }
    }
  }
}
