/** `sagebrew local`: SageMaker's API on this machine, running real jobs and endpoints. */
import { resolve } from "node:path";
import { isSagebrewError, SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs, portOption, withPortHint } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew local [--port P] [--state DIR]

Serves SageMaker's API on one local port, so that code written for SageMaker — boto3, the AWS SDK
for JavaScript, the AWS CLI, sagebrew's own commands — runs unchanged against this machine:
  - the control plane (AWS JSON 1.1): Create/Describe/Stop/List TrainingJob(s),
    Create/Describe/Delete/List Model(s), Create/Describe/Delete/List EndpointConfig(s),
    Create/Describe/Update/Delete/List Endpoint(s), Create/Describe/Stop/List TransformJob(s),
    AddTags/ListTags/DeleteTags — checked as SageMaker checks them;
  - the runtime: InvokeEndpoint and InvokeEndpointWithResponseStream (6 MB, 60 s, ModelError);
  - CloudWatch Logs reads of its jobs and endpoints (DescribeLogStreams, GetLogEvents,
    FilterLogEvents) under SageMaker's log group and stream names.
Jobs and endpoints really run: SageMaker's built-in XGBoost images and images built by sagebrew
from a project without its own algorithm or handler on sagebrew's runtime (no Docker), other
images (a project's own code included) in Docker when an engine answers. Data comes from
file:// URIs, or s3:// through AWS_ENDPOINT_URL_S3 (an S3-compatible server) or AWS itself.
Request signatures are not checked: any credentials work. State (resources, job files, logs)
lives under the state directory and survives restarts; endpoints come back up.

Point clients at it with AWS_ENDPOINT_URL=http://127.0.0.1:<port> (and any AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY). See docs/local-sagemaker.md.

Options:
  -p, --port <n>     port to listen on; 0 picks a free one (default: 8081)
  --host <addr>      interface to bind (default: 127.0.0.1)
  --state <dir>      the state directory (default: .sagebrew/local)
  -h, --help         show this help

Environment: AWS_ENDPOINT_URL_S3 (S3-compatible endpoint for s3:// URIs), SAGEBREW_CONTAINER_ENGINE
(docker or podman, default docker), SAGEBREW_LOCAL_MAX_INSTANCES (instances per training job, default 8).

Example:
  sagebrew local --port 8081 --state /tmp/sm &
  AWS_ENDPOINT_URL=http://127.0.0.1:8081 python3 train_and_deploy.py
`;

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  state: { type: "string" },
} as const;

export const localCommand: Command = {
  name: "local",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, HELP);
    if (positionals.length) throw new SagebrewError("SB_USAGE", `unexpected argument ${positionals[0]}`);
    const port = values.port === undefined ? undefined : portOption(values.port);
    const stateDir = resolve(io.cwd, values.state ?? ".sagebrew/local");
    // The server (and the AWS SDK it loads for s3://) is loaded by this command only.
    const { startLocalSageMaker, DEFAULT_LOCAL_PORT } = await import("../local/sagemaker/index.js");
    let local: Awaited<ReturnType<typeof startLocalSageMaker>>;
    try {
      local = await startLocalSageMaker({
        port: port ?? DEFAULT_LOCAL_PORT,
        ...(values.host !== undefined ? { host: values.host } : {}),
        stateDir,
        env: io.env,
        log: (line) => io.stderr.write(`${line}\n`),
      });
    } catch (e) {
      if (isSagebrewError(e, "SB_LISTEN")) throw withPortHint(e);
      throw new SagebrewError("SB_LOCAL", (e as Error).message);
    }
    io.stdout.write(`SageMaker on ${local.url} (state in ${local.stateDir}); Ctrl-C to stop\n`);
    io.stdout.write(`  export AWS_ENDPOINT_URL=${local.url}\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        io.stderr.write("stopping: jobs and endpoints are being stopped…\n");
        local.close().then(done, done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    io.stdout.write("Stopped\n");
    return 0;
  },
};
