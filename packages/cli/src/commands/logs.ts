/** `sagebrew logs`: a training job's, transform job's or endpoint's CloudWatch lines, by name. */
import { SagebrewError } from "@sagebrew/runtime/core";
import { onePositional, parseCommandArgs } from "./_args.js";
import {
  AWS_HELP,
  AWS_OPTIONS,
  awsOptionsFrom,
  cliReporter,
  intFlag,
  pollSeconds,
  withInterrupt,
} from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew logs <job|endpoint> [--follow]

Prints the CloudWatch log lines of a SageMaker training job, transform job or endpoint, every host's
or instance's merged in time order with the host in front ([algo-1], [i-0abc…]). With --follow it
keeps printing new lines, with the job's status changes, until the job ends (an endpoint: until
Ctrl-C).

Options:
  -f, --follow             keep printing new lines
  --since <minutes>        only lines from the last <minutes> (default: all for a job, 60 for an endpoint)
${AWS_HELP}
  -h, --help               show this help

Exit codes: 0 printed (a followed job Completed), 1 a followed job Failed or was Stopped,
2 the command line is wrong (an unknown option, a missing argument, or a name nothing has).

Example:
  sagebrew logs iris-20260101-120000-000 --follow
  sagebrew logs iris --since 10
`;

const OPTIONS = {
  follow: { type: "boolean", short: "f" },
  since: { type: "string" },
  ...AWS_OPTIONS,
} as const;

export const logsCommand: Command = {
  name: "logs",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, HELP);
    const name = onePositional(positionals, "name");
    if (!name)
      throw new SagebrewError(
        "SB_USAGE",
        `expected the name of a training job, transform job or endpoint\n\n${HELP}`,
      );
    const since = intFlag("since", values.since, 1, 60 * 24 * 365);
    const [{ findLogSource, printLogs, followLogs }, { sdkClients }, { readProjectConfig }] =
      await Promise.all([
        import("../sagemaker/logs.js"),
        import("../sagemaker/context.js"),
        import("../sagemaker/settings.js"),
      ]);
    const { config } = await readProjectConfig(io.cwd);
    const clients = sdkClients(awsOptionsFrom(values, config));
    const source = await findLogSource(clients, name);
    const minutes = since ?? (source.kind === "endpoint" ? 60 : undefined);
    const startTime = minutes !== undefined ? Date.now() - minutes * 60_000 : undefined;
    const reporter = cliReporter(io);
    io.stderr.write(`${source.kind.replace("-", " ")} ${name}: ${source.status}\n`);
    if (!values.follow) {
      const n = await printLogs(clients, source, reporter, startTime !== undefined ? { startTime } : {});
      if (n === 0) io.stderr.write("no log lines yet\n");
      return 0;
    }
    const status = await withInterrupt((signal) =>
      followLogs(clients, source, {
        ...(startTime !== undefined ? { startTime } : {}),
        ...pollSeconds(io.env),
        signal,
        reporter,
      }),
    );
    // The final status, once, after the last log lines.
    if (source.kind !== "endpoint") io.stderr.write(`${source.kind.replace("-", " ")} ${name}: ${status}\n`);
    return status === "Failed" || status === "Stopped" ? 1 : 0;
  },
};
