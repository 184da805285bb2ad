/** `sagebrew ls`: what sagebrew made on SageMaker (by its tag), endpoints first. */
import { parseCommandArgs } from "./_args.js";
import { AWS_HELP, AWS_OPTIONS, awsOptionsFrom, intFlag, table } from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew ls [options]

Lists the endpoints, training jobs, transform jobs and models that sagebrew created (those tagged
sagebrew:created-by), newest first within each kind. Endpoints come first: those on instances cost
money until deleted (\`sagebrew delete <name>\`), and are named below the list; a serverless one
bills per invocation.

Options:
  --max <n>                newest resources of each kind to look at (default: 50)
${AWS_HELP}
  -h, --help               show this help

Example:
  sagebrew ls
`;

const OPTIONS = { max: { type: "string" }, ...AWS_OPTIONS } as const;

export const lsCommand: Command = {
  name: "ls",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values } = parseCommandArgs(argv, OPTIONS, HELP);
    const max = intFlag("max", values.max, 1, 100) ?? 50;
    const [{ billingEndpoints, listResources }, { sdkClients }, { readProjectConfig }] = await Promise.all([
      import("../sagemaker/list.js"),
      import("../sagemaker/context.js"),
      import("../sagemaker/settings.js"),
    ]);
    const { config } = await readProjectConfig(io.cwd);
    const clients = sdkClients(awsOptionsFrom(values, config));
    const rows = await listResources(clients, { max });
    if (rows.length === 0) {
      io.stdout.write("nothing made by sagebrew\n");
      return 0;
    }
    io.stdout.write(
      `${table([
        ["KIND", "NAME", "STATUS", "CREATED"],
        ...rows.map((r) => [
          r.kind,
          r.name,
          r.status ?? "-",
          r.created ? r.created.toISOString().slice(0, 19).replace("T", " ") : "-",
        ]),
      ])}\n`,
    );
    const billing = await billingEndpoints(clients, rows);
    if (billing.length > 0)
      io.stderr.write(
        `${billing.length} endpoint(s) on instances cost money while they run (${billing.join(", ")}): sagebrew delete <name>\n`,
      );
    return 0;
  },
};
