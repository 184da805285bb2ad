/** Reads the training job's configuration files under `input/config/` with clear errors. */
import { readFile } from "node:fs/promises";
import {
  type ChannelConfig,
  parseInputDataConfig,
  parseResourceConfig,
  type ResourceConfig,
} from "../config/data-config.js";
import { decodeHyperparameters } from "../config/hyperparameters.js";
import type { MlPaths } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";

export interface TrainingJob {
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly reservedHyperparameters: Readonly<Record<string, string>>;
  readonly channels: ReadonlyMap<string, ChannelConfig>;
  readonly resource: ResourceConfig;
  /** `LocalPath` of `checkpointconfig.json`, when checkpointing is configured. */
  readonly checkpointDir?: string;
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return undefined;
    throw new SagebrewError(
      code === "ENOENT" ? "SB_CONFIG_MISSING" : "SB_CONFIG_INVALID",
      `Cannot read ${path}: ${code === "ENOENT" ? "the file does not exist" : (e as Error).message}`,
      { cause: e },
    );
  }
  try {
    return JSON.parse(text.replace(/^\ufeff/, "")) as unknown;
  } catch (e) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot parse ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Reads hyperparameters, input data config, resource config and checkpoint config. */
export async function readTrainingJob(paths: MlPaths): Promise<TrainingJob> {
  const hp = decodeHyperparameters((await readJson(paths.hyperparameters, false)) ?? {});
  const channels = parseInputDataConfig(await readJson(paths.inputDataConfig, false));
  // The docs' diagram and many local test dirs spell it resourceConfig.json.
  const resourceDoc =
    (await readJson(paths.resourceConfig, false)) ??
    (await readJson(paths.resourceConfig.replace(/resourceconfig\.json$/, "resourceConfig.json"), false));
  const resource = parseResourceConfig(resourceDoc);
  const checkpoint = (await readJson(paths.checkpointConfig, false)) as { LocalPath?: unknown } | undefined;
  const checkpointDir =
    checkpoint === undefined
      ? undefined
      : typeof checkpoint.LocalPath === "string" && checkpoint.LocalPath !== ""
        ? checkpoint.LocalPath
        : paths.checkpointsDir;
  return {
    hyperparameters: hp.values,
    reservedHyperparameters: hp.reserved,
    channels,
    resource,
    ...(checkpointDir ? { checkpointDir } : {}),
  };
}
