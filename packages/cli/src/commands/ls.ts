/** `sagebrew ls`: what sagebrew made on SageMaker (by its tag), endpoints first. */
import { parseCommandArgs } from "./_args.js";
import { AWS_HELP, AWS_OPTIONS, awsOptionsFrom, intFlag, table } from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew ls [options]

Lists the endpoints, training jobs, transform jobs and models that sagebrew created (those tagged
sagebrew:created-by), newest first within each kind. Endpoints come first: they cost money until
deleted (\`sagebrew delete <name>\`).

Options:
  --max <n>                newest resources of each kind to look at (default: 50)
${AWS_HELP}
  -h, --help               show this help

Example:
  sagebrew ls
`;

const OPTIONS = { max: { type: "string" }, ...AWS_OPTIONS } as const;

/** Endpoint statuses with instances running (SageMaker bills instance hours; a serverless one bills per call). */
const BILLING = new Set(["InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"]);

export const lsCommand: Command = {
  name: "ls",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values } = parseCommandArgs(argv, OPTIONS, HELP);
    const max = intFlag("max", values.max, 1, 100) ?? 50;
    const [{ listResources }, { sdkClients }, { readProjectConfig }] = await Promise.all([
      import("../sagemaker/list.js"),
      import("../sagemaker/context.js"),
      import("../sagemaker/settings.js"),
    ]);
    const { config } = await readProjectConfig(io.cwd);
    const rows = await listResources(sdkClients(awsOptionsFrom(values, config)), { max });
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
    // Instances bill while an endpoint runs on them; a Failed or Deleting endpoint has none.
    const live = rows.filter((r) => r.kind === "endpoint" && BILLING.has(r.status ?? "")).length;
    if (live > 0)
      io.stderr.write(
        `${live} endpoint(s) running: those on instances cost money while they run: sagebrew delete <name>\n`,
      );
    return 0;
  },
};
