/** Argument parsing shared by the sub-commands: node's parseArgs, with usage errors in one voice. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { SagebrewError } from "@sagebrew/runtime/core";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` against `options` (positionals allowed).
 *
 * @throws SagebrewError SB_USAGE with parseArgs' message and the command's help.
 */
export function parseCommandArgs<const O extends Options>(
  argv: readonly string[],
  options: O,
  help: string,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SagebrewError("SB_USAGE", `${(e as Error).message}\n\n${help}`);
  }
}

/** The one positional argument, or undefined; more than one is a usage error naming `what`. */
export function onePositional(positionals: readonly string[], what: string): string | undefined {
  if (positionals.length > 1)
    throw new SagebrewError("SB_USAGE", `expected one ${what}, got ${positionals.length}`);
  return positionals[0];
}
