/** The `sagebrew` command line: dispatches to one sub-command. */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { CommandIo } from "./commands/index.js";
import { COMMANDS } from "./commands/index.js";
import { didYouMean } from "./suggest.js";
import { VERSION } from "./version.js";

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "sagebrew — bring your own model to Amazon SageMaker, in TypeScript",
    "",
    "Usage: sagebrew <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `sagebrew <command> --help` for a command's options.",
    "",
    "Exit codes: 0 done, 1 failed, 2 the command line is wrong (an unknown command or option, a",
    "missing argument, or a name nothing has); each command's --help says what 1 means there.",
    "",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`sagebrew ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const names = COMMANDS.map((c) => c.name);
    io.stderr.write(`sagebrew: unknown command "${name}".${didYouMean(name, names)}\n\n${mainHelp()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof SagebrewError) {
      io.stderr.write(`sagebrew ${name}: ${e.message}\n`);
      return e.code === "SB_USAGE" ? 2 : 1;
    }
    throw e;
  }
}
