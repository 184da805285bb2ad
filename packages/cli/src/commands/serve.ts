/** `sagebrew serve`: serve a local /opt/ml-shaped directory, as the container would (no Docker). */
import { resolve } from "node:path";
import { ENV } from "@sagebrew/runtime/core";
import { locateModel } from "../local/model-dir.js";
import { onePositional, parseCommandArgs, portOption, withPortHint } from "./_args.js";
import { resolveMlDir } from "./train.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew serve [dir] [options]

Serves the model in <dir>/model (default dir: ./local_test/test_dir if it exists, else .) exactly as the container's
\`serve\` does — /ping, /invocations, /execution-parameters — without Docker. <dir> is an
/opt/ml-shaped directory such as the one \`sagebrew train\` writes, or the model directory itself
(<dir>/model, as \`transform --model\` takes it). A model that cannot be loaded ends the command at
once with the reason and exit code 1, as the container's serve exits. The handler is the first of:
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
  sagebrew train examples/iris-xgboost/local_test/test_dir
  sagebrew serve examples/iris-xgboost/local_test/test_dir --port 8080
  sagebrew predict examples/iris-xgboost/local_test/payload.csv     # in another terminal
`;

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  handler: { type: "string" },
  "log-level": { type: "string" },
} as const;

export const serveCommand: Command = {
  name: "serve",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    const { values, positionals } = parsed;
    const target = onePositional(positionals, "directory");
    const port = values.port === undefined ? undefined : portOption(values.port);
    const dir = resolveMlDir(target, io.cwd);
    const multiModel = /^true$/i.test(io.env[ENV.multiModel] ?? "");
    const where = multiModel ? undefined : locateModel(dir, "directory");
    const env: Record<string, string | undefined> = { ...io.env, [ENV.baseDir]: where?.baseDir ?? dir };
    if (port !== undefined) env[ENV.bindToPort] = String(port);
    if (values.handler !== undefined) env[ENV.handler] = resolve(io.cwd, values.handler);
    if (values["log-level"] !== undefined) env[ENV.containerLogLevel] = values["log-level"];
    const { findProject, runServe } = await import("@sagebrew/runtime");
    if (env.SAGEBREW_PROJECT === undefined) {
      const project = (await findProject(dir)) ?? (await findProject(io.cwd));
      if (project) env.SAGEBREW_PROJECT = project.dir;
    }
    const server = await runServe({
      env,
      host: values.host ?? "127.0.0.1",
      ...(where ? { modelDir: where.modelDir } : {}),
    }).catch((e: unknown) => {
      throw withPortHint(e);
    });
    io.stdout.write(`Serving ${where?.modelDir ?? dir} on ${server.url} (Ctrl-C to stop)\n`);
    const signal = stopSignal();
    try {
      const loaded = await Promise.race([
        server.ready.then(
          () => true,
          (e: Error) => {
            io.stderr.write(`sagebrew serve: ${e.message}\n`);
            return false;
          },
        ),
        signal.stopped,
      ]);
      if (loaded === true) {
        io.stdout.write(`Ready: ${server.url}/ping answers 200\n`);
        await signal.stopped;
      }
      await server.stop();
      // A model that cannot be loaded never will be: exit at once, as the container's serve does.
      if (loaded === false) return 1;
    } finally {
      signal.dispose();
    }
    io.stdout.write("Stopped\n");
    return 0;
  },
};

/** Ctrl-C or SIGTERM, while the server runs. */
function stopSignal(): { stopped: Promise<"stopped">; dispose(): void } {
  let stop = () => {};
  const stopped = new Promise<"stopped">((done) => {
    stop = () => done("stopped");
  });
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return {
    stopped,
    dispose() {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}
