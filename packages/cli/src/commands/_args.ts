/** Argument parsing shared by the sub-commands: node's parseArgs, with usage errors in one voice. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isSagebrewError, SagebrewError } from "@sagebrew/runtime/core";
import { didYouMean } from "../suggest.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The flags a command takes, as typed (`--port`, `-p`), `--help` included. */
function flagsOf(options: Options): string[] {
  const flags = ["--help", "-h"];
  for (const [name, o] of Object.entries(options)) {
    flags.push(`--${name}`);
    if (o.short !== undefined) flags.push(`-${o.short}`);
  }
  return flags;
}

/** parseArgs' error as one sentence of ours: the flag as typed, and the nearest known one. */
function usageMessage(e: Error & { code?: string }, options: Options): string {
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) {
    const flag = quoted.split("=")[0]!;
    const candidates = flagsOf(options).filter((f) => f.startsWith("--") === flag.startsWith("--"));
    return `unknown option ${flag}.${didYouMean(flag, candidates, false)}`;
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const long = /--([\w-]+)/.exec(e.message)?.[1];
    if (long !== undefined && / argument missing/.test(e.message)) return `--${long} needs a value`;
    if (long !== undefined && / argument is ambiguous/.test(e.message)) {
      return `--${long} needs a value; one that starts with "-" is written --${long}=<value>`;
    }
    if (long !== undefined && /does not take an argument/.test(e.message)) return `--${long} takes no value`;
  }
  return e.message;
}

/**
 * Parses `argv` against `options` (positionals allowed).
 *
 * @throws SagebrewError SB_USAGE naming the flag (and the nearest known one), then the command's help.
 */
export function parseCommandArgs<const O extends Options>(
  argv: readonly string[],
  options: O,
  help: string,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SagebrewError("SB_USAGE", `${usageMessage(e as Error, options)}\n\n${help}`);
  }
}

/** The one positional argument, or undefined; more than one is a usage error naming `what`. */
export function onePositional(positionals: readonly string[], what: string): string | undefined {
  if (positionals.length > 1)
    throw new SagebrewError("SB_USAGE", `expected one ${what}, got ${positionals.length}`);
  return positionals[0];
}

/**
 * A port number option's value (0 to 65535; 0 lets the system pick a free one).
 *
 * @throws SagebrewError SB_USAGE naming the flag.
 */
export function portOption(value: string, flag = "--port"): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new SagebrewError(
      "SB_USAGE",
      `${flag} ${value} is not a port number: give one from 1 to 65535, or 0 for a free one`,
    );
  }
  return port;
}

/**
 * A port that cannot be listened on (SB_LISTEN) with the hint of how to pick another, so that
 * `serve` and `local` say it in the same words; any other error as it is.
 */
export function withPortHint(e: unknown): unknown {
  if (!isSagebrewError(e, "SB_LISTEN")) return e;
  return new SagebrewError("SB_LISTEN", `${e.message}; choose another port with --port (0 picks a free one)`);
}
