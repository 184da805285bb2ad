/**
 * `ctx.concurrent`: how many requests the server was answering when an invocation's body had
 * arrived, over real sockets — 1 for a request alone, more while others are in flight, undefined
 * for one made in process.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sendHttp } from "../../../../test/kit/serving-drivers.js";
import { readServingConfig } from "../config/serving.js";
import { createLogger } from "../node/logger.js";
import { checkHandler, defineHandler, type ModelHandler } from "./handler.js";
import { type RunningServer, startServer } from "./server.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "sagebrew-concurrent-"));
  await mkdir(join(root, "model"), { recursive: true });
});
after(() => rm(root, { recursive: true, force: true }));

const invoke = (server: RunningServer, body: string) =>
  sendHttp(server.port, "/invocations", {
    method: "POST",
    headers: { "content-type": "text/csv", accept: "text/csv" },
    body,
  });

describe("ctx.concurrent", () => {
  it("is 1 for a request alone, counts the requests in flight beside it, and is undefined in process", async () => {
    const seen: Array<[string, number | undefined]> = [];
    // A request whose body says `hold` waits until one saying `release` has been seen.
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const handler = defineHandler<{ ready: true }, string, string>({
      name: "concurrent",
      contentTypes: ["text/csv"],
      accepts: ["text/csv"],
      load: () => ({ ready: true }),
      decode: (body) => new TextDecoder().decode(body).trim(),
      async predict(_model, what, ctx) {
        seen.push([what, ctx.concurrent]);
        if (what === "release") release();
        if (what === "hold") await released;
        return what;
      },
      encode: (output) => `${output}\n`,
      warmupRequests: () => [{ body: "warm", contentType: "text/csv" }],
    });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: root, SAGEMAKER_BIND_TO_PORT: "0" });
    const server = await startServer(checkHandler(handler as ModelHandler<never>, "concurrent"), {
      config,
      logger: createLogger({ level: "error" }),
      host: "127.0.0.1",
    });
    try {
      await server.ready;
      // The warm-up's requests: in process (undefined), then over the server's own socket (alone).
      const warm = seen.filter(([what]) => what === "warm").map(([, n]) => n);
      assert.equal(warm[0], undefined);
      assert.ok(warm.includes(1), `over the socket, alone: ${warm.join(",")}`);
      seen.length = 0;
      // Alone means no other connection open: the warm-up's and each earlier request's connection
      // close on their own time, so wait for the server to have none.
      const idle = async () => {
        while (server.http.connections > 0) await new Promise((r) => setTimeout(r, 5));
      };
      await idle();
      const alone = await invoke(server, "alone");
      assert.deepEqual([alone.status, alone.text], [200, "alone\n"]);
      await idle();
      const held = invoke(server, "hold");
      while (!seen.some(([what]) => what === "hold")) await new Promise((r) => setTimeout(r, 5));
      const [second, first] = await Promise.all([invoke(server, "release"), held]);
      assert.equal(second.text, "release\n");
      assert.equal(first.text, "hold\n");
      assert.deepEqual(seen, [
        ["alone", 1],
        ["hold", 1],
        ["release", 2],
      ]);
    } finally {
      await server.stop();
    }
  });
});
