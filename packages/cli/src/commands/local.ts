/** `sagebrew local`: SageMaker's API on this machine, running real jobs and endpoints. */
import { resolve } from "node:path";
import { isSagebrewError, SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs, portOption, withPortHint } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew local [--port P] [--state DIR] [--account ID] [--host ADDR --allow-host NAME...]

Serves SageMaker's API on one local port, so that code written for SageMaker — boto3, the AWS SDK
for JavaScript, the AWS CLI, sagebrew's own commands — runs unchanged against this machine:
  - the control plane (AWS JSON 1.1): Create/Describe/Stop/List TrainingJob(s),
    Create/Describe/Delete/List Model(s), Create/Describe/Delete/List EndpointConfig(s),
    Create/Describe/Update/Delete/List Endpoint(s), Create/Describe/Stop/List TransformJob(s),
    Create/Describe/Stop/Delete/List HyperParameterTuningJob(s) and
    ListTrainingJobsForHyperParameterTuningJob (each trial a training job),
    AddTags/ListTags/DeleteTags — checked as SageMaker checks them;
  - the runtime: InvokeEndpoint and InvokeEndpointWithResponseStream (6 MB, 60 s, ModelError);
  - CloudWatch Logs reads of its jobs and endpoints (DescribeLogStreams, GetLogEvents,
    FilterLogEvents) under SageMaker's log group and stream names;
  - S3 (buckets, objects, ranges, copies, listings, DeleteObjects, multipart uploads; path-style
    and <bucket>.localhost addresses; the SDKs' aws-chunked bodies and checksums verified);
  - STS GetCallerIdentity (the account of --account).
A request for another service (IAM, ECR, …) gets an error in its own protocol naming the
AWS_ENDPOINT_URL_<SERVICE> variable that points it elsewhere.
Jobs and endpoints really run: SageMaker's built-in XGBoost images and images built by sagebrew
from a project without its own algorithm or handler on sagebrew's runtime (no Docker), other
images (a project's own code included) in Docker when an engine answers. Data comes from this
S3 (s3:// URIs), or from another S3 when AWS_ENDPOINT_URL_S3 names one (moto, or AWS itself:
https://s3.amazonaws.com), or from file:// URIs. Request signatures are not checked: any
credentials work. State (resources, job files, logs, S3 objects) lives under the state directory
and survives restarts; endpoints come back up.

Point clients at it with AWS_ENDPOINT_URL=http://127.0.0.1:<port> (and any AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY). See docs/local-sagemaker.md.

Whoever can send it a request can run code as you (an image, its environment, its entry point):
it listens on loopback only, and answers only requests addressed to localhost, *.localhost,
127.x.x.x or [::1] and, from web pages, only pages of those origins (403 otherwise), so that no
web site can reach it, DNS rebinding included; the serve processes of its endpoints and transform
jobs listen on loopback too. To serve other machines, bind another interface and name the host
names clients use: --host 0.0.0.0 --allow-host my-laptop.lan (refused without --allow-host);
anyone who can reach the port can then run code on this machine.

Options:
  -p, --port <n>         port to listen on; 0 picks a free one (default: 8081)
  --host <addr>          interface to bind (default: 127.0.0.1); another needs --allow-host
  --allow-host <name>    a host name (or address) requests may be addressed to besides loopback
                         ones, and whose web pages may call it; repeat for more
  --state <dir>          the state directory (default: .sagebrew/local)
  --account <id>         the 12-digit account STS answers and ARNs name (default: 123456789012)
  -h, --help             show this help

Environment: AWS_ENDPOINT_URL_S3 (another S3 for the jobs' s3:// URIs), SAGEBREW_CONTAINER_ENGINE
(docker or podman, default docker), SAGEBREW_LOCAL_MAX_INSTANCES (instances per training job, default 8).

Example:
  sagebrew local --port 8081 --state /tmp/sm &
  export AWS_ENDPOINT_URL=http://127.0.0.1:8081 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  python3 examples/boto3/train_and_deploy.py     # boto3: S3 upload, train, deploy, invoke, transform
`;

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "allow-host": { type: "string", multiple: true },
  state: { type: "string" },
  account: { type: "string" },
} as const;

export const localCommand: Command = {
  name: "local",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, HELP);
    if (positionals.length) throw new SagebrewError("SB_USAGE", `unexpected argument ${positionals[0]}`);
    const port = values.port === undefined ? undefined : portOption(values.port);
    if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
      throw new SagebrewError(
        "SB_USAGE",
        `--account ${values.account} is not an AWS account id: give its 12 digits`,
      );
    }
    const stateDir = resolve(io.cwd, values.state ?? ".sagebrew/local");
    // The server (and the AWS SDK it loads for s3://) is loaded by this command only.
    const { startLocalSageMaker, DEFAULT_LOCAL_PORT, allowedHostName, checkBinding } = await import(
      "../local/sagemaker/index.js"
    );
    const allowHosts = values["allow-host"] ?? [];
    try {
      checkBinding(values.host ?? "127.0.0.1", allowHosts.map(allowedHostName));
    } catch (e) {
      throw new SagebrewError("SB_USAGE", (e as Error).message);
    }
    let local: Awaited<ReturnType<typeof startLocalSageMaker>>;
    try {
      local = await startLocalSageMaker({
        port: port ?? DEFAULT_LOCAL_PORT,
        ...(values.host !== undefined ? { host: values.host } : {}),
        allowHosts,
        stateDir,
        ...(values.account !== undefined ? { account: values.account } : {}),
        env: io.env,
        log: (line) => io.stderr.write(`${line}\n`),
      });
    } catch (e) {
      if (isSagebrewError(e, "SB_LISTEN")) throw withPortHint(e);
      throw new SagebrewError("SB_LOCAL", (e as Error).message);
    }
    // Ctrl-C is caught before the address is printed: whoever reads the address may stop it at once.
    const stopped = new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        io.stderr.write("stopping: jobs and endpoints are being stopped…\n");
        local.close().then(done, done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    io.stdout.write(`SageMaker on ${local.url} (state in ${local.stateDir}); Ctrl-C to stop\n`);
    io.stdout.write(`  export AWS_ENDPOINT_URL=${local.url}\n`);
    await stopped;
    io.stdout.write("Stopped\n");
    return 0;
  },
};
