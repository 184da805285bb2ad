/** The container's `serve` program: it exits at once, with its reason as the last line, when it cannot serve. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { irisMlRoot } from "../../../../test/kit/iris.js";
import { run, SERVE_FROM_SOURCE } from "../../../../test/kit/process.js";

const [node, ...args] = SERVE_FROM_SOURCE;

/** Runs serve with `env` until it exits (or is killed after 60 s). */
function serve(env: NodeJS.ProcessEnv) {
  return run(node!, args, { env: { SAGEMAKER_MODEL_SERVER_WORKERS: "1", ...env }, timeoutMs: 60_000 });
}

const lastLine = (text: string) => text.trim().split("\n").at(-1);

let empty: string;
before(async () => {
  empty = await mkdtemp(join(tmpdir(), "sagebrew-serve-bin-"));
});
after(() => rm(empty, { recursive: true, force: true }));

describe("serve (the container's program)", () => {
  it("exits 1 at once when the model cannot be loaded, its reason the last line", async () => {
    const r = await serve({ SAGEMAKER_BASE_DIR: empty, SAGEMAKER_BIND_TO_PORT: "0" });
    assert.equal(r.code, 1);
    assert.match(
      lastLine(r.stderr) ?? "",
      new RegExp(`^serve: Cannot read the model directory ${empty}/model: `),
    );
  });

  it("says in one line that the port is in use", async () => {
    const ml = await irisMlRoot();
    const blocker = createServer().listen(0);
    await once(blocker, "listening");
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await serve({ SAGEMAKER_BASE_DIR: ml, SAGEMAKER_BIND_TO_PORT: String(port) });
      assert.equal(r.code, 1);
      assert.equal(
        lastLine(r.stderr),
        `serve: Cannot listen on port ${port}: another program is listening there`,
      );
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    } finally {
      blocker.close();
      await rm(ml, { recursive: true, force: true });
    }
  });
});
