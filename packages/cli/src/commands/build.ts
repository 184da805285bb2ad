/** `sagebrew build`: build the project's image with Docker or Podman. */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { VERSION } from "../version.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew build [dir] [options]

Builds the container image of a project (default: the current directory) with the Docker or
Podman CLI. The build context is staged by sagebrew: @sagebrew/runtime with only its production
dependencies, the entrypoint, and the project's files, with LF line endings and fixed modes.
The project's Dockerfile is used when it has one, else sagebrew's template.

Options:
  -t, --tag <name>          image name and tag (default: sagebrew-<dir name>:latest)
  --platform <p>            linux/amd64 (default) or linux/arm64
  --instance-type <type>    choose the platform for a SageMaker instance type (ml.c7g.* -> arm64)
  --base-image <image>      BASE_IMAGE build argument (default: node:20-bookworm-slim)
  --build-arg <k=v>         extra build argument (repeatable)
  --engine <name>           docker or podman (default: $SAGEBREW_ENGINE, else docker, else podman)
  --no-cache                build without the layer cache
  -q, --quiet               hide the engine's progress output
  -h, --help                show this help

Example:
  sagebrew build examples/iris-xgboost -t iris-xgboost:dev
  sagebrew build --instance-type ml.m7g.large      # Graviton: linux/arm64
`;

const OPTIONS = {
  tag: { type: "string", short: "t" },
  platform: { type: "string" },
  "instance-type": { type: "string" },
  "base-image": { type: "string" },
  "build-arg": { type: "string", multiple: true },
  engine: { type: "string" },
  "no-cache": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

export const buildCommand: Command = {
  name: "build",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    // Image tooling is loaded by the commands that use it, not at CLI start.
    const [
      { buildImage, defaultTag },
      { detectEngine },
      { DEFAULT_PLATFORM, parsePlatform, platformForInstanceType },
    ] = await Promise.all([
      import("../image/build.js"),
      import("../image/engine.js"),
      import("../image/platform.js"),
    ]);
    const { values, positionals } = parsed;
    const target = onePositional(positionals, "directory");
    if (values.platform && values["instance-type"]) {
      throw new SagebrewError("SB_USAGE", "give --platform or --instance-type, not both");
    }
    const dir = resolve(io.cwd, target ?? ".");
    const platform = values.platform
      ? parsePlatform(values.platform)
      : values["instance-type"]
        ? platformForInstanceType(values["instance-type"])
        : DEFAULT_PLATFORM;
    const buildArgs: Record<string, string> = {};
    for (const kv of values["build-arg"] ?? []) {
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new SagebrewError("SB_USAGE", `Cannot read --build-arg ${kv}: expected NAME=value`);
      buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const engine = await detectEngine({
      env: io.env,
      ...(values.engine ? { preferred: values.engine } : {}),
    });
    const tag = values.tag ?? defaultTag(dir);
    io.stderr.write(`building ${tag} (${platform}) from ${dir} with ${engine.name}\n`);
    const started = performance.now();
    const built = await buildImage(dir, engine, {
      tag,
      platform,
      version: VERSION,
      buildArgs,
      ...(values["base-image"] ? { baseImage: values["base-image"] } : {}),
      ...(values["no-cache"] ? { noCache: true } : {}),
      ...(values.quiet ? {} : { onOutput: (chunk: string) => io.stderr.write(chunk) }),
    });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    io.stdout.write(
      `built ${built.tag} ${built.info.id.slice(0, 19)} ${built.info.os}/${built.info.architecture} ${(built.info.size / 1e6).toFixed(0)} MB in ${secs} s\n`,
    );
    return 0;
  },
};
