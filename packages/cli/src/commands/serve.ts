/** `sagebrew serve`: serve a local /opt/ml-shaped directory, as the container would (no Docker). */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { onePositional, parseCommandArgs } from "./_args.js";
import { resolveMlDir } from "./train.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew serve [dir] [options]

Serves the model in <dir>/model (default dir: ./local_test/test_dir if it exists, else .) exactly as the container's
\`serve\` does — /ping, /invocations, /execution-parameters — without Docker. <dir> is an
/opt/ml-shaped directory such as the one \`sagebrew train\` writes. The handler is the first of:
--handler or $SAGEBREW_HANDLER; <dir>/model/code/handler.js; the project's own, when the
package.json of <dir> or a directory above it declares one ("sagebrew": { "handler": "./handler.mjs" }),
exactly as the image's serve reads it; else the built-in XGBoost. Every
SAGEMAKER_* variable of the environment applies (see docs/serving.md). Stops on Ctrl-C or
SIGTERM after answering the requests in flight.

Options:
  -p, --port <n>          port to listen on; 0 picks a free one (default: $SAGEMAKER_BIND_TO_PORT, else 8080)
  --host <addr>           interface to bind (default: 127.0.0.1; the container binds all)
  --handler <module>      a custom handler module (sets SAGEBREW_HANDLER)
  --log-level <level>     debug, info, warn or error (default: $SAGEMAKER_CONTAINER_LOG_LEVEL, $LOG_LEVEL, else info)
  -h, --help              show this help

Example:
  sagebrew serve examples/iris-xgboost/local --port 8080
  sagebrew predict payload.csv --content-type text/csv     # in another terminal
`;

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  handler: { type: "string" },
  "log-level": { type: "string" },
} as const;

export const serveCommand: Command = {
  name: "serve",
  summary: "Serve a local /opt/ml-shaped directory like the container's serve (no Docker).",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    const { values, positionals } = parsed;
    const target = onePositional(positionals, "directory");
    if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) {
      throw new SagebrewError("SB_USAGE", `--port ${values.port} is not a port number`);
    }
    const dir = resolveMlDir(target, io.cwd);
    const env: Record<string, string | undefined> = { ...io.env, SAGEMAKER_BASE_DIR: dir };
    if (values.port !== undefined) env.SAGEMAKER_BIND_TO_PORT = values.port;
    if (values.handler !== undefined) env.SAGEBREW_HANDLER = resolve(io.cwd, values.handler);
    if (values["log-level"] !== undefined) env.SAGEMAKER_CONTAINER_LOG_LEVEL = values["log-level"];
    const { findProject, runServe } = await import("@sagebrew/runtime");
    if (env.SAGEBREW_PROJECT === undefined) {
      const project = (await findProject(dir)) ?? (await findProject(io.cwd));
      if (project) env.SAGEBREW_PROJECT = project.dir;
    }
    const server = await runServe({ env, host: values.host ?? "127.0.0.1" });
    io.stdout.write(`Serving ${dir} on ${server.url} (Ctrl-C to stop)\n`);
    server.ready.then(
      () => io.stdout.write(`Ready: ${server.url}/ping answers 200\n`),
      (e: Error) => io.stderr.write(`sagebrew serve: the model could not be loaded: ${e.message}\n`),
    );
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        server.stop().then(done, done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    io.stdout.write("Stopped\n");
    return 0;
  },
};
