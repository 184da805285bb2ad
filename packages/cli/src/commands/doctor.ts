/** `sagebrew doctor`: preflight checks of a project and/or an image, each with its fix. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { Finding } from "../image/index.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew doctor [dir] [--image <image>] [options]

Preflight checks that turn SageMaker's late failures into clear messages, each with its fix.
This machine's Node.js: sagebrew supports Node.js 22, 24 and 26 and warns on one past its end of
life. Project checks (dir, default .): exec-form ENTRYPOINT without tini, EXPOSE 8080, line endings,
hyperparameters as strings. Image checks (--image, default: the project's image when built):
manifest media type (for registry references), exec-form entrypoint, architecture for the
instance type, size (Serverless limit 10 GB), \`train\`/\`serve\` on PATH executable with LF
endings, the image's Node.js (end of life?) and libxgboost (the version its label records?), and
with a model: nothing else on port 8080, /ping answers 200 within 2 s, SIGTERM.

Options:
  --image <image>          image to check: local (iris:dev) or in a registry (host/repo:tag)
  --instance-type <type>   target instance type for the architecture check (default: ml.m5.large)
  --model-dir <dir>        model directory for the serve checks (default: local_test/test_dir/model)
  --no-run                 do not start containers (static checks only)
  --engine <name>          docker or podman (default: $SAGEBREW_ENGINE, else docker, else podman)
  -h, --help               show this help

Exit codes: 0 no problems (warnings allowed), 1 problems found, 2 the command line is wrong (an unknown option, a missing argument, or a name nothing has).

Example:
  sagebrew doctor examples/iris-xgboost --image iris-xgboost:dev --instance-type ml.m5.xlarge
`;

const OPTIONS = {
  image: { type: "string" },
  "instance-type": { type: "string" },
  "model-dir": { type: "string" },
  "no-run": { type: "boolean" },
  engine: { type: "string" },
} as const;

export const doctorCommand: Command = {
  name: "doctor",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    // Image tooling is loaded by the commands that use it, not at CLI start.
    const [
      { defaultTag },
      { doctorImage, doctorProject, formatFindings, nodeFinding, projectModelDir },
      { detectEngine, inspectImage },
      { platformForInstanceType },
    ] = await Promise.all([
      import("../image/build.js"),
      import("../image/doctor.js"),
      import("../image/engine.js"),
      import("../image/platform.js"),
    ]);
    const { values, positionals } = parsed;
    const target = onePositional(positionals, "directory");
    if (values["instance-type"]) platformForInstanceType(values["instance-type"]);
    const dir = resolve(io.cwd, target ?? ".");
    const findings: Finding[] = [nodeFinding(process.version, "this machine")];
    const checkProject = positionals.length > 0 || !values.image;
    if (checkProject) {
      if (!existsSync(dir)) throw new SagebrewError("SB_USAGE", `directory ${dir} does not exist`);
      io.stderr.write(`checking project ${dir}\n`);
      findings.push(...(await doctorProject(dir)));
    }
    const engine = await detectEngine({
      env: io.env,
      ...(values.engine ? { preferred: values.engine } : {}),
    });
    let image = values.image;
    if (!image) {
      const tag = defaultTag(dir);
      if (await inspectImage(engine, tag)) image = tag;
      else io.stderr.write(`no image ${tag} yet: run \`sagebrew build\` to check the image too\n`);
    }
    if (image) {
      io.stderr.write(`checking image ${image}\n`);
      const modelDir = values["model-dir"]
        ? resolve(io.cwd, values["model-dir"])
        : checkProject
          ? await projectModelDir(dir)
          : undefined;
      findings.push(
        ...(await doctorImage(image, engine, {
          ...(values["instance-type"] ? { instanceType: values["instance-type"] } : {}),
          ...(modelDir ? { modelDir } : {}),
          ...(values["no-run"] ? { run: false } : {}),
          log: (line) => io.stderr.write(`${line}\n`),
        })),
      );
    }
    io.stdout.write(formatFindings(findings));
    return findings.some((f) => f.status === "fail") ? 1 : 0;
  },
};
