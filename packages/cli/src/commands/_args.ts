/** Argument parsing shared by the sub-commands: node's parseArgs, with usage errors in one voice. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { SagebrewError } from "@sagebrew/runtime";

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
