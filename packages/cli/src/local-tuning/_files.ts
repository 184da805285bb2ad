/**
 * The files of a tuning job on this machine, under `DIR/.sagebrew/tuning/<name>/`: the request,
 * the state machine's state (to read back and for warm starts), a summary shaped like
 * DescribeHyperParameterTuningJob, the leaderboard, and one `/opt/ml`-shaped tree per trial under
 * `trials/<training job>/`. Every JSON file is written whole by rename.
 */
import { cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { ParentTrial, TuningState } from "../tuning/index.js";

/** Where the tuning jobs of `dir` live. */
export function tuningRoot(dir: string): string {
  return join(dir, ".sagebrew", "tuning");
}

/** The files of one tuning job. */
export function jobPaths(dir: string, name: string) {
  const root = join(tuningRoot(dir), name);
  return {
    root,
    request: join(root, "tuning-job.json"),
    state: join(root, "state.json"),
    summary: join(root, "summary.json"),
    leaderboard: join(root, "leaderboard.txt"),
    progressSvg: join(root, "objective.svg"),
    coordinatesSvg: join(root, "parallel-coordinates.svg"),
    trial: (trial: string) => join(root, "trials", trial),
  };
}

/** Writes `text` to `path` by a temporary file and a rename, so a reader never sees half of it. */
export async function writeWhole(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function writeJson(path: string, value: unknown): Promise<void> {
  return writeWhole(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A trial's `/opt/ml` tree: its hyperparameters, the input data config, and each channel as a
 * link to the directory's own folder (the data is never copied). The input data config is the
 * directory's, with every channel folder it does not declare added (as a SageMaker job from the
 * directory would have them: `sagebrew train --instance-type` sends every folder), taking the
 * content type of the first declared channel.
 */
export async function prepareTrial(
  dir: string,
  trialDir: string,
  hyperParameters: Readonly<Record<string, string>>,
  channels: readonly string[],
): Promise<void> {
  const config = join(trialDir, "input", "config");
  await mkdir(config, { recursive: true });
  await writeJson(join(config, "hyperparameters.json"), hyperParameters);
  await writeJson(join(config, "inputdataconfig.json"), await inputDataConfig(dir, channels));
  await mkdir(join(trialDir, "input", "data"), { recursive: true });
  for (const c of channels) await symlink(join(dir, "input", "data", c), join(trialDir, "input", "data", c));
}

/** The directory's `inputdataconfig.json` with every channel folder in it. */
export async function inputDataConfig(
  dir: string,
  channels: readonly string[],
): Promise<Record<string, Record<string, unknown>>> {
  const path = join(dir, "input", "config", "inputdataconfig.json");
  let declared: Record<string, Record<string, unknown>> = {};
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text !== undefined) {
    try {
      declared = JSON.parse(text) as Record<string, Record<string, unknown>>;
    } catch (e) {
      throw new SagebrewError("SB_CONFIG_INVALID", `Cannot parse ${path}: ${(e as Error).message}`);
    }
    if (declared === null || typeof declared !== "object" || Array.isArray(declared))
      throw new SagebrewError(
        "SB_CONFIG_INVALID",
        `Cannot read ${path}: expected a JSON object of channel → settings`,
      );
  }
  const contentType = Object.values(declared).find((c) => typeof c?.ContentType === "string")?.ContentType;
  const out = { ...declared };
  for (const c of channels) {
    out[c] ??= {
      ...(contentType !== undefined ? { ContentType: contentType } : {}),
      TrainingInputMode: "File",
      S3DistributionType: "FullyReplicated",
      RecordWrapperType: "None",
    };
  }
  return out;
}

/** The channel folders of `dir` (`input/data/<channel>/`), sorted. */
export async function channelsOf(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, "input", "data"), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

/**
 * Copies the best trial's model into `dir/model`, replacing what was there only once the copy is
 * whole. Resolves to false when the trial left no model.
 */
export async function copyModel(trialDir: string, dir: string): Promise<boolean> {
  const from = join(trialDir, "model");
  const files = await readdir(from).catch(() => []);
  if (files.filter((f) => !f.startsWith(".")).length === 0) return false;
  const staged = join(dir, `.model-tune-${process.pid}`);
  await rm(staged, { recursive: true, force: true });
  await cp(from, staged, { recursive: true });
  await rm(join(dir, "model"), { recursive: true, force: true });
  await rename(staged, join(dir, "model"));
  return true;
}

/**
 * The trials of earlier local tuning jobs of `dir`, for a warm start: each one's hyperparameters
 * (static and tuned) and final objective.
 *
 * @throws SagebrewError SB_TUNING when a parent does not exist or did not end.
 */
export async function readParents(
  dir: string,
  names: readonly string[],
  metric: string,
): Promise<ParentTrial[]> {
  const out: ParentTrial[] = [];
  for (const name of names) {
    const path = jobPaths(dir, name).state;
    let state: TuningState;
    try {
      state = JSON.parse(await readFile(path, "utf8")) as TuningState;
    } catch {
      throw new SagebrewError(
        "SB_TUNING",
        `Cannot warm start from ${name}: no tuning job of that name in ${tuningRoot(dir)}`,
      );
    }
    if (state.spec.objective.metricName !== metric)
      throw new SagebrewError(
        "SB_TUNING",
        `Cannot warm start from ${name}: its objective is ${state.spec.objective.metricName}, and a warm start needs the same (${metric})`,
      );
    if (!["Completed", "Stopped"].includes(state.status))
      throw new SagebrewError(
        "SB_TUNING",
        `Cannot warm start from ${name}: it is ${state.status}, not Completed or Stopped`,
      );
    for (const t of state.trials) {
      if (t.status === "Failed" || t.final === undefined || !Number.isFinite(t.final)) continue;
      out.push({
        tuningJob: name,
        trainingJob: t.name,
        hyperParameters: { ...state.spec.staticHyperParameters, ...t.hyperParameters },
        final: t.final,
      });
    }
  }
  return out;
}

/**
 * The request and the final view of a tuning job that ran elsewhere (on SageMaker), written as a
 * job run here writes them: `tuning-job.json`, `summary.json`.
 */
export async function writeTuningSummary(
  dir: string,
  job: { readonly request: unknown; readonly view: unknown },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJson(join(dir, "tuning-job.json"), job.request);
  await writeJson(join(dir, "summary.json"), job.view);
}
