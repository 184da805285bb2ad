/** A `CommandIo` that keeps what a command writes, for running sagebrew's commands in-process. */
import { PassThrough } from "node:stream";

export function captureIo(options: { cwd: string; env?: NodeJS.ProcessEnv; terminal?: boolean }) {
  const out = Object.assign(new PassThrough(), options.terminal ? { isTTY: true, columns: 100 } : {});
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d) => {
    stdout += d;
  });
  err.on("data", (d) => {
    stderr += d;
  });
  return {
    io: { stdout: out, stderr: err, env: options.env ?? {}, cwd: options.cwd },
    out: () => stdout,
    err: () => stderr,
    text: () => ({ stdout, stderr }),
  };
}
