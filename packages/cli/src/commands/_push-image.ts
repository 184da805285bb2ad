/** The default `ImagePusher`: `sagebrew push` itself (ECR, Docker v2 schema 2), read back by digest. */
import { Writable } from "node:stream";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { AwsOptions, ImagePusher, Reporter } from "../sagemaker/index.js";
import type { CommandIo } from "./types.js";

/** A stream that hands each complete line to `line`. */
function lineWriter(line: (text: string) => void): Writable {
  let pending = "";
  return new Writable({
    write(chunk, _encoding, done) {
      pending += String(chunk);
      let nl = pending.indexOf("\n");
      while (nl !== -1) {
        line(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
      done();
    },
  });
}

/** Pushes with `sagebrew push <image> [--region] [--profile]`; its progress goes to the reporter. */
export function pushWithSagebrew(aws: AwsOptions, env: NodeJS.ProcessEnv, cwd: string): ImagePusher {
  return async (image: string, reporter: Reporter) => {
    const { createPushCommand } = await import("./push.js");
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = {
      stdout: lineWriter((l) => out.push(l.trim())),
      stderr: lineWriter((l) => {
        err.push(l);
        reporter.info(`push: ${l}`);
      }),
      env,
      cwd,
    };
    const args = [
      image,
      ...(aws.region ? ["--region", aws.region] : []),
      ...(aws.profile ? ["--profile", aws.profile] : []),
    ];
    let code: number;
    try {
      code = await createPushCommand().run(args, io);
    } catch (e) {
      throw new SagebrewError("SB_REGISTRY", `Cannot push ${image}: ${(e as Error).message}`, { cause: e });
    }
    const pinned = out.find((l) => /@sha256:[0-9a-f]{64}$/.test(l));
    if (code !== 0 || !pinned) {
      throw new SagebrewError(
        "SB_REGISTRY",
        `Cannot push ${image}: sagebrew push ended with code ${code}${err.length ? `: ${err.at(-1)}` : ""}`,
      );
    }
    return pinned;
  };
}
