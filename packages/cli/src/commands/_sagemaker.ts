/**
 * What the SageMaker commands (deploy, delete, logs, ls, and train/predict/transform when pointed
 * at SageMaker) share: the AWS options, KEY=VALUE lists, how progress and container logs are
 * printed, and questions that are only ever asked on a terminal. Loads no AWS code itself.
 */
import { ENV_REFERENCE, SagebrewError } from "@sagebrew/runtime/core";
import type { LogLine, Reporter } from "../sagemaker/index.js";
import type { CommandIo } from "./types.js";

/** parseArgs options every SageMaker command takes. */
export const AWS_OPTIONS = {
  region: { type: "string" },
  profile: { type: "string" },
} as const;

/**
 * parseArgs options of a training job's definition on SageMaker, which `train --instance-type` sends
 * as its job and `tune --instance-type` as its tuning job's TrainingJobDefinition.
 */
export const TRAINING_JOB_OPTIONS = {
  "instance-type": { type: "string" },
  "instance-count": { type: "string" },
  image: { type: "string" },
  role: { type: "string" },
  bucket: { type: "string" },
  channel: { type: "string", multiple: true },
  "max-run": { type: "string" },
  "volume-size": { type: "string" },
  env: { type: "string", multiple: true },
  tag: { type: "string", multiple: true },
  shard: { type: "string", multiple: true },
  "output-s3": { type: "string" },
  "input-mode": { type: "string" },
  "no-wait": { type: "boolean" },
  download: { type: "boolean" },
  ...AWS_OPTIONS,
} as const;

/** Help lines for `AWS_OPTIONS`. */
export const AWS_HELP = `  --region <region>        AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region)
  --profile <name>         AWS profile (default: AWS_PROFILE)`;

/** `--region`/`--profile`, then the project config file's, else nothing (the SDK's chain decides). */
export function awsOptionsFrom(
  values: { region?: string | undefined; profile?: string | undefined },
  config: { region?: string; profile?: string },
): { region?: string; profile?: string } {
  const region = values.region ?? config.region;
  const profile = values.profile ?? config.profile;
  return { ...(region ? { region } : {}), ...(profile ? { profile } : {}) };
}

/** Parses repeated `KEY=VALUE` flags into a record. */
export function keyValues(flag: string, items: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new SagebrewError("SB_USAGE", `--${flag} ${item} is not KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * The container environment from `--env KEY=VALUE`: names SageMaker accepts, values within its
 * 1024-character limit, and a warning for a SAGEMAKER_/SAGEBREW_ name the container never reads
 * (a typo would otherwise go unnoticed until the endpoint misbehaves).
 */
export function containerEnvironment(
  items: readonly string[] | undefined,
  io: CommandIo,
  program: "train" | "serve",
): Record<string, string> {
  const env = keyValues("env", items);
  const known = new Set(
    ENV_REFERENCE.filter((e) => e.program === "all" || e.program.includes(program)).map((e) => e.name),
  );
  for (const [key, value] of Object.entries(env)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key) || key.length > 1024) {
      throw new SagebrewError("SB_USAGE", `--env ${key}: not a valid environment variable name`);
    }
    if (value.length > 1024) {
      throw new SagebrewError(
        "SB_USAGE",
        `--env ${key}: the value is ${value.length} characters, over SageMaker's 1024`,
      );
    }
    if (/^(SAGEMAKER|SAGEBREW)_/.test(key) && !known.has(key)) {
      io.stderr.write(
        `warning: --env ${key}: sagebrew's ${program} does not read this variable (docs/reference/env.md)\n`,
      );
    }
  }
  return env;
}

/**
 * Seconds between status and log polls while a command waits: SAGEBREW_POLL_SECONDS, else the
 * flow's default (10 s for jobs, 15 s for endpoints, as gentle on the API as the Python SDK).
 */
export function pollSeconds(env: NodeJS.ProcessEnv): { pollSeconds?: number } {
  const raw = env.SAGEBREW_POLL_SECONDS;
  if (raw === undefined || raw === "") return {};
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 600) {
    throw new SagebrewError(
      "SB_ENV_INVALID",
      `SAGEBREW_POLL_SECONDS=${raw} is not a number of seconds in (0, 600]`,
    );
  }
  return { pollSeconds: n };
}

/** A whole number flag within bounds, or undefined when absent. */
export function intFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SagebrewError("SB_USAGE", `--${name} ${value} is not a whole number in [${min}, ${max}]`);
  }
  return n;
}

/**
 * A whole-number flag for a SageMaker member, or undefined when absent: only its syntax is checked
 * here; its range is SageMaker's, checked against the API table by the flow it is passed to.
 */
export function wholeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n)) {
    throw new SagebrewError("SB_USAGE", `--${name} ${value} is not a whole number`);
  }
  return n;
}

const COLORS = ["\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[36m"];

/**
 * Prints a flow's progress: status lines on stderr, container log lines on stdout with their host
 * (coloured per host on a terminal), transfers as a bar on a terminal. With `plain` (--plain), lines
 * only, appended, on a terminal too: no colour, no bar.
 */
export function cliReporter(io: CommandIo, options: { plain?: boolean } = {}): Reporter {
  const colors = new Map<string, string>();
  const tty = io.stdout.isTTY === true && !options.plain;
  let bar = false;
  const clearBar = () => {
    if (bar) io.stderr.write("\r\x1b[2K");
    bar = false;
  };
  return {
    info(line) {
      clearBar();
      io.stderr.write(`${line}\n`);
    },
    log(line: LogLine) {
      clearBar();
      let prefix = `[${line.source}]`;
      if (tty) {
        let color = colors.get(line.source);
        if (!color) {
          color = COLORS[colors.size % COLORS.length]!;
          colors.set(line.source, color);
        }
        prefix = `${color}${prefix}\x1b[0m`;
      }
      io.stdout.write(`${prefix} ${line.message.replace(/\n$/, "")}\n`);
    },
    progress(label, done, total) {
      if (io.stderr.isTTY !== true || options.plain) return;
      const width = 30;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      const mb = (n: number) => (n / 1e6).toFixed(1);
      io.stderr.write(
        `\r\x1b[2K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${label} ${mb(done)}/${mb(total)} MB`,
      );
      bar = true;
    },
  };
}

/** True when questions may be asked: stdin is a terminal. */
export function canAsk(io: CommandIo): boolean {
  return io.stdin?.isTTY === true;
}

/**
 * Asks a question on the terminal and resolves to the first letter of the answer (lower case),
 * or `fallback` on an empty answer. Never called without a terminal.
 */
export async function ask(io: CommandIo, question: string, fallback: string): Promise<string> {
  if (!io.stdin || !canAsk(io)) return fallback;
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    return answer === "" ? fallback : answer[0]!;
  } finally {
    rl.close();
  }
}

/**
 * Runs `body` with an AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, so a wait can stop and
 * ask what to do with the resource it was waiting for.
 */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Prints `Key  value` lines aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
    .join("\n");
}
