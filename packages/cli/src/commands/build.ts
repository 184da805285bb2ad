/** `sagebrew build`: build the project's image with Docker or Podman. */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { VERSION } from "../version.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew build [dir] [options]

Builds the container image of a project (default: the current directory) with the Docker or
Podman CLI, or with no engine at all (--engine none). The build context is staged by sagebrew:
@sagebrew/runtime with only its production dependencies, the entrypoint, and the project's files,
with LF line endings and fixed modes. The project's Dockerfile is used when it has one, else
sagebrew's template.

With --engine none (no daemon: SageMaker Studio, CI runners), sagebrew makes the image itself: the
base pulled by digest from its registry, libxgboost and its Debian dependencies added from .deb
files pinned by version and SHA-256 when the base lacks them, then the runtime and the project as
reproducible layers (the same inputs give the same digest). It writes a Docker v2 schema 2 image
as a \`docker load\`-able archive (--output) and/or pushes it (--push, as \`sagebrew push\` does:
ECR, or --registry). Only sagebrew's own Dockerfile layout can be built this way.

Options:
  -t, --tag <name>          image name and tag (default: sagebrew-<dir name>:latest)
  --platform <p>            linux/amd64 (default) or linux/arm64
  --instance-type <type>    choose the platform for a SageMaker instance type (ml.c7g.* -> arm64)
  --xgboost <line>          3.0 (default: node:26-trixie-slim, Debian's libxgboost 3.0, SageMaker's
                            XGBoost 3.0-5 line) or 1.7 (node:26-bookworm-slim, libxgboost 1.7.4,
                            SageMaker's 1.7-1 line)
  --base-image <image>      BASE_IMAGE build argument (default: the line's base image)
  --build-arg <k=v>         extra build argument (repeatable)
  --engine <name>           docker, podman or none (default: $SAGEBREW_ENGINE, else docker, else podman)
  --no-cache                build without the layer cache

With --engine none:
  --base-image <ref>        base in a registry (default: the line's, pinned by digest, e.g.
                            node:26-trixie-slim@sha256:…; loopback registries over HTTP)
  --output <file>           write a docker load-able archive
  --push                    push the image: to ECR (--repository, --region, --profile), or --registry
  --registry <host/repo>    push to another registry instead of ECR
  --repository <name>       ECR repository (default: the image name)
  --region <region>         AWS region for ECR
  --profile <name>          AWS profile for ECR
  --debian-mirror <url>     where the pinned .deb files come from (default: $SAGEBREW_DEBIAN_MIRROR,
                            else http://deb.debian.org/debian)
  -q, --quiet               hide the engine's progress output
  -h, --help                show this help

Example:
  sagebrew build examples/iris-xgboost -t iris-xgboost:dev
  sagebrew build --instance-type ml.m7g.large      # Graviton: linux/arm64
  sagebrew build --xgboost 1.7                     # models interchangeable with SageMaker's 1.7-1
  sagebrew build --engine none --push              # no daemon: build and push to ECR
`;

const OPTIONS = {
  tag: { type: "string", short: "t" },
  platform: { type: "string" },
  "instance-type": { type: "string" },
  xgboost: { type: "string" },
  "base-image": { type: "string" },
  "build-arg": { type: "string", multiple: true },
  engine: { type: "string" },
  "no-cache": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  output: { type: "string" },
  push: { type: "boolean" },
  registry: { type: "string" },
  repository: { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  "debian-mirror": { type: "string" },
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
      { DEFAULT_LINE, IMAGE_LINES, parseXGBoostLine },
    ] = await Promise.all([
      import("../image/build.js"),
      import("../image/engine.js"),
      import("../image/platform.js"),
      import("../image/lines.js"),
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
    const line = values.xgboost ? parseXGBoostLine(values.xgboost) : DEFAULT_LINE;
    const buildArgs: Record<string, string> = {};
    for (const kv of values["build-arg"] ?? []) {
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new SagebrewError("SB_USAGE", `Cannot read --build-arg ${kv}: expected NAME=value`);
      buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    if ((values.engine ?? io.env.SAGEBREW_ENGINE) === "none") {
      const { buildEngineless } = await import("./_build-engineless.js");
      return buildEngineless(dir, { ...values, platform, line }, io);
    }
    const engineOnly = [
      "output",
      "push",
      "registry",
      "repository",
      "region",
      "profile",
      "debian-mirror",
    ] as const;
    const misplaced = engineOnly.find((k) => values[k] !== undefined);
    if (misplaced) throw new SagebrewError("SB_USAGE", `--${misplaced} is for --engine none`);
    const engine = await detectEngine({
      env: io.env,
      ...(values.engine ? { preferred: values.engine } : {}),
    });
    const tag = values.tag ?? defaultTag(dir);
    io.stderr.write(
      `building ${tag} (${platform}, XGBoost ${IMAGE_LINES[line].xgboost} on ${values["base-image"] ?? IMAGE_LINES[line].baseImage}) from ${dir} with ${engine.name}\n`,
    );
    const started = performance.now();
    const built = await buildImage(dir, engine, {
      tag,
      platform,
      version: VERSION,
      buildArgs,
      xgboost: line,
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
