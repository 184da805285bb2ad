import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { captureIo } from "../../../../test/kit/capture-io.js";
import { irisMlRoot, irisRows } from "../../../../test/kit/iris.js";
import { main } from "../main.js";

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));

describe("sagebrew serve and sagebrew predict", () => {
  it("serve a local /opt/ml directory; predict prints setosa, the status and the time", async () => {
    const root = await irisMlRoot();
    await writeFile(join(root, "payload.csv"), `${irisRows().features[0]!.join(",")}\n`);
    const child = spawn(
      process.execPath,
      ["--conditions=sagebrew-source", "--import", "tsx", BIN, "serve", root, "--port", "0"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, SAGEMAKER_MODEL_SERVER_WORKERS: "1" },
      },
    );
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", (d) => {
          out += d;
          const m = /Ready: (http:\/\/[^/]+)\/ping/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      assert.match(out, /^Serving .* on http:\/\/127\.0\.0\.1:\d+ \(Ctrl-C to stop\)\n/);
      const c = captureIo({ cwd: root });
      const code = await main(["predict", "payload.csv", "--content-type", "text/csv", "--url", url], c.io);
      assert.equal(code, 0);
      assert.equal(c.text().stdout, "setosa\n");
      assert.match(c.text().stderr, /^200 OK · text\/csv · 7 bytes · [\d.]+ ms\n$/);

      const bad = captureIo({ cwd: root });
      await writeFile(join(root, "short.csv"), "5.1,3.5,1.4\n");
      assert.equal(await main(["predict", "short.csv", "--url", `${url}/invocations`], bad.io), 1);
      assert.match(bad.text().stdout, /expects 4 features per row, the request body has 3/);
      assert.match(bad.text().stderr, /^400 Bad Request/);

      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("predict says which server it could not reach", async () => {
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = captureIo({ cwd: "/" });
    assert.equal(await main(["predict", "/dev/null", "--url", `http://127.0.0.1:${port}`], c.io), 1);
    assert.match(
      c.text().stderr,
      new RegExp(`Cannot reach http://127\\.0\\.0\\.1:${port}/invocations: ECONNREFUSED`),
    );
  });

  it("--help lists every option of serve and predict", async () => {
    for (const [cmd, options] of [
      ["serve", ["--port", "--host", "--handler", "--log-level"]],
      ["predict", ["--content-type", "--accept", "--url", "--custom-attributes"]],
    ] as const) {
      const c = captureIo({ cwd: "/" });
      assert.equal(await main([cmd, "--help"], c.io), 0);
      for (const o of options) assert.ok(c.text().stdout.includes(o), `${cmd} --help lacks ${o}`);
    }
  });
});
