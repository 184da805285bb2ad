/** `sagebrew init`: scaffold a container project. */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew init <dir> [options]

Creates a container project: a Dockerfile (exec-form entrypoint, EXPOSE 8080, labels), a
.gitattributes forcing LF, local_test/test_dir/ shaped like /opt/ml (hyperparameters.json,
input/data/training/iris.csv with the label first) and local_test/payload.csv.

Options:
  --handler      add handler.mjs, a custom model server, and point SAGEBREW_HANDLER at it
                 (default: the built-in XGBoost server)
  --force        write into a non-empty directory
  -h, --help     show this help

Example:
  sagebrew init my-model && cd my-model && sagebrew train && sagebrew build
`;

const OPTIONS = { handler: { type: "boolean" }, force: { type: "boolean" } } as const;

export const initCommand: Command = {
  name: "init",
  summary: "Scaffold a container project (Dockerfile, local_test/ shaped like /opt/ml, payloads).",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    const [target, ...extra] = parsed.positionals;
    if (!target || extra.length > 0) throw new SagebrewError("SB_USAGE", `expected one directory\n\n${HELP}`);
    const dir = resolve(io.cwd, target);
    const { scaffoldProject } = await import("../image/scaffold.js");
    const written = await scaffoldProject(dir, {
      ...(parsed.values.handler ? { handler: true } : {}),
      ...(parsed.values.force ? { force: true } : {}),
    });
    for (const f of written) io.stdout.write(`created ${f}\n`);
    io.stderr.write(`\nnext: cd ${target} && sagebrew train && sagebrew build\n`);
    return 0;
  },
};
