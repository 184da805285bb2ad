/** `sagebrew build --engine none`: build without a daemon, then write and/or push the image. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { Platform, XGBoostLine } from "../image/index.js";
import { VERSION } from "../version.js";
import type { CommandIo } from "./types.js";

/** The build command's values that matter here. */
export interface EnginelessValues {
  readonly tag?: string | undefined;
  readonly platform: Platform;
  readonly line: XGBoostLine;
  readonly "base-image"?: string | undefined;
  readonly "build-arg"?: string[] | undefined;
  readonly "no-cache"?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly output?: string | undefined;
  readonly push?: boolean | undefined;
  readonly registry?: string | undefined;
  readonly repository?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  readonly "debian-mirror"?: string | undefined;
}

/** Builds `dir` with no engine; returns the exit code. */
export async function buildEngineless(dir: string, values: EnginelessValues, io: CommandIo): Promise<number> {
  if (!values.output && !values.push) {
    throw new SagebrewError("SB_USAGE", "--engine none needs --output <file>, --push, or both");
  }
  if ((values.registry || values.repository || values.region || values.profile) && !values.push) {
    throw new SagebrewError("SB_USAGE", "--registry, --repository, --region and --profile go with --push");
  }
  if (values["build-arg"]?.length) {
    throw new SagebrewError(
      "SB_USAGE",
      "--build-arg needs a container engine (no Dockerfile runs with --engine none)",
    );
  }
  const [{ defaultTag, declaresOwnCode }, { buildWithoutEngine }] = await Promise.all([
    import("../image/build.js"),
    import("../image/engineless/index.js"),
  ]);
  const tag = values.tag ?? defaultTag(dir);
  const log = values.quiet ? () => {} : (line: string) => io.stderr.write(`${line}\n`);
  const work = await mkdtemp(join(tmpdir(), "sagebrew-build-"));
  try {
    const output = values.output ? resolve(io.cwd, values.output) : join(work, "image.tar");
    io.stderr.write(`building ${tag} (${values.platform}) from ${dir} without an engine\n`);
    const started = performance.now();
    const image = await buildWithoutEngine(dir, {
      tag,
      output,
      platform: values.platform,
      xgboost: values.line,
      version: VERSION,
      code: (await declaresOwnCode(dir)) ? "project" : "builtin",
      env: io.env,
      log,
      ...(values["base-image"] ? { baseImage: values["base-image"] } : {}),
      ...(values["debian-mirror"] ? { debianMirror: values["debian-mirror"] } : {}),
    });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    io.stdout.write(
      `built ${tag} ${image.configDigest.slice(0, 19)} ${values.platform} ${(image.size / 1e6).toFixed(0)} MB compressed in ${secs} s\n` +
        `manifest ${image.digest} (base ${image.base}${image.packages.length ? `; added ${image.packages.join(" ")}` : ""})\n` +
        (values.output ? `wrote ${output} (docker load -i ${values.output})\n` : ""),
    );
    if (!values.push) return 0;
    const { createPushCommand } = await import("./push.js");
    const args = [
      tag,
      "--archive",
      output,
      ...(values.registry ? ["--registry", values.registry] : []),
      ...(values.repository ? ["--repository", values.repository] : []),
      ...(values.region ? ["--region", values.region] : []),
      ...(values.profile ? ["--profile", values.profile] : []),
    ];
    return await createPushCommand().run(args, io);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
