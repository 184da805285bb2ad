/**
 * End to end: `train` the nearest-centroid model on an /opt/ml-shaped temp dir, then serve it
 * through sagebrew's real `serve` process with SAGEBREW_HANDLER, and ask it about iris rows.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sendHttp } from "../../test/contract/_drivers.js";
import { startServeProcess } from "../../test/contract/_process.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function train(root: string) {
  return spawnSync(
    process.execPath,
    ["--conditions=sagebrew-source", "--import", "tsx", here("./src/train.ts")],
    {
      env: { ...process.env, SAGEMAKER_BASE_DIR: root },
      encoding: "utf8",
    },
  );
}

describe("examples/custom-handler", () => {
  it("trains centroids, serves them through `serve`, and answers class names", async () => {
    const root = await mkdtemp(join(tmpdir(), "sagebrew-centroid-"));
    await cp(here("./local/input"), join(root, "input"), { recursive: true });
    const t = train(root);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /trained 3 centroids on 150 rows: setosa, versicolor, virginica/);
    const model = JSON.parse(await readFile(join(root, "model", "centroids.json"), "utf8"));
    assert.equal(model.centroids.length, 3);

    const p = await startServeProcess({
      SAGEMAKER_BASE_DIR: root,
      SAGEBREW_HANDLER: here("./src/handler.ts"),
    });
    try {
      for (;;) {
        if ((await sendHttp(p.port, "/ping")).status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const csv = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
      });
      assert.equal(csv.status, 200);
      assert.equal(csv.text, "setosa\nvirginica\n");
      const json = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "x-amzn-sagemaker-custom-attributes": "explain",
        },
        body: JSON.stringify({ instances: [[5.9, 2.8, 4.3, 1.3]] }),
      });
      assert.equal(json.status, 200);
      assert.equal(JSON.parse(json.text).predictions[0].label, "versicolor");
      assert.equal(json.headers["x-amzn-sagemaker-custom-attributes"], "rows=1");
      const short = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5",
      });
      assert.equal(short.status, 400);
      assert.equal(
        short.text,
        "Cannot predict: the model expects 4 features per row, the request body has 2\n",
      );
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
    } finally {
      p.kill();
    }
  });

  it("writes the failure file and exits 1 when the train channel is empty", async () => {
    const root = await mkdtemp(join(tmpdir(), "sagebrew-centroid-"));
    await mkdir(join(root, "input", "data", "train"), { recursive: true });
    const t = train(root);
    assert.equal(t.status, 1);
    assert.match(
      await readFile(join(root, "output", "failure"), "utf8"),
      /channel train in .* holds no rows/,
    );
  });
});
