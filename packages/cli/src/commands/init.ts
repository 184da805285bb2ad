/** `sagebrew init`: scaffold a container project. */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew init <dir> [options]

Creates a container project: a Dockerfile (exec-form entrypoint, EXPOSE 8080, labels), a
.gitattributes forcing LF, local_test/test_dir/ shaped like /opt/ml (hyperparameters.json,
input/data/training/iris.csv with the label first), local_test/payload.csv and a README.

Options:
  --handler      the project's own model instead of the built-in XGBoost: algorithm.mjs trains it,
                 handler.mjs serves it, both declared in package.json ("sagebrew": { … }), which
                 sagebrew train/serve and the image read alike
  --force        write into a non-empty directory
  -h, --help     show this help

Example:
  sagebrew init my-model --handler && cd my-model && sagebrew train && sagebrew serve
`;

const OPTIONS = { handler: { type: "boolean" }, force: { type: "boolean" } } as const;

/** What to run next; every line works as written in a fresh project. */
function nextSteps(target: string): string {
  return [
    "",
    "next:",
    `  cd ${target}`,
    "  sagebrew train                      # trains on local_test/test_dir, writes its model/",
    "  sagebrew serve                      # serves that model on http://127.0.0.1:8080 (Ctrl-C stops)",
    "  sagebrew predict local_test/payload.csv --content-type text/csv    # in another terminal",
    "  sagebrew build && sagebrew doctor .  # the image, then its checks (/ping with the trained model)",
    "",
  ].join("\n");
}

export const initCommand: Command = {
  name: "init",
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
    io.stderr.write(nextSteps(target));
    return 0;
  },
};
