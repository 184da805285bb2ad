/** `sagebrew delete`: remove an endpoint with its config and model (or a model, or stop a job). */
import { SagebrewError } from "@sagebrew/runtime/core";
import { onePositional, parseCommandArgs } from "./_args.js";
import { AWS_HELP, AWS_OPTIONS, ask, awsOptionsFrom, canAsk, cliReporter } from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew delete <name> [--yes]

Removes what costs money: for an endpoint, the endpoint, its endpoint config and its model(s); a
model or an endpoint config alone; a running training or transform job is stopped. Training
artifacts and job outputs in S3 are never touched. Asks for confirmation on a terminal; without a
terminal it refuses unless --yes is given.

Options:
  -y, --yes                do it without asking
${AWS_HELP}
  -h, --help               show this help

Exit codes: 0 done (or nothing to do), 1 not confirmed, 2 the command line is wrong (an unknown option, a missing argument, or a name nothing has).

Example:
  sagebrew delete iris
  sagebrew delete iris --yes        # in scripts and CI
`;

const OPTIONS = { yes: { type: "boolean", short: "y" }, ...AWS_OPTIONS } as const;

export const deleteCommand: Command = {
  name: "delete",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, HELP);
    const name = onePositional(positionals, "name");
    if (!name)
      throw new SagebrewError("SB_USAGE", `expected the name of an endpoint, model or job\n\n${HELP}`);
    const [{ planDelete, describePlan, deleteResources }, { sdkClients }, { readProjectConfig }] =
      await Promise.all([
        import("../sagemaker/endpoint.js"),
        import("../sagemaker/context.js"),
        import("../sagemaker/settings.js"),
      ]);
    const { config } = await readProjectConfig(io.cwd);
    const clients = sdkClients(awsOptionsFrom(values, config));
    const plan = await planDelete(clients, name);
    const what = describePlan(plan);
    const acts = !what.startsWith("nothing");
    if (!acts) {
      io.stdout.write(`${name}: ${what}\n`);
      return 0;
    }
    if (!values.yes) {
      if (!canAsk(io)) {
        io.stderr.write(
          `sagebrew delete: would ${what}: not a terminal, so nothing was done; pass --yes to confirm\n`,
        );
        return 1;
      }
      if ((await ask(io, `${what}? [y/N] `, "n")) !== "y") {
        io.stderr.write("nothing was deleted\n");
        return 1;
      }
    }
    const done = await deleteResources(clients, plan, cliReporter(io));
    io.stdout.write(`deleted: ${done.join(", ")}\n`);
    return 0;
  },
};
