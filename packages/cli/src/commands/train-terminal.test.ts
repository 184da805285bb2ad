/**
 * `sagebrew train` on a terminal: it says where the pictures are and prints the curve in text
 * after the live progress line; without a terminal it prints the metric lines and no text curve.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { captureIo } from "../../../../test/kit/capture-io.js";
import { IRIS_DIR, type MlDir, makeMlDir } from "../../../../test/kit/ml-dir.js";
import { main } from "../main.js";

/** An io whose stdout looks like a terminal of `columns` columns, or like a pipe. */

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

async function train(terminal: boolean) {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  const c = captureIo({ cwd: d.root, terminal });
  const code = await main(["train", d.root], c.io);
  return { code, root: d.root, ...c.text() };
}

describe("sagebrew train's output", () => {
  it("on a terminal: a progress line, where the pictures are, and the curve in text", async () => {
    const r = await train(true);
    assert.equal(r.code, 0, r.stderr);
    // the progress line is redrawn in place: carriage return, erase line (ESC [2K), then the text
    assert.ok(r.stdout.includes("\r\u001b[2Kround 20/20 "), JSON.stringify(r.stdout.slice(0, 300)));
    const pictures = /^pictures: (.+)$/m.exec(r.stdout)?.[1]?.split(", ");
    const data = join(r.root, "output", "data");
    assert.deepEqual(pictures, [join(data, "training-curve.svg"), join(data, "feature-importance.svg")]);
    assert.match(await readFile(join(data, "training-curve.svg"), "utf8"), /^<svg /);
    // one sparkline per metric of each channel: mlogloss falls from round 0 to round 19
    const line = r.stdout.split("\n").find((l) => /^train-mlogloss\s/.test(l));
    assert.ok(line, r.stdout);
    const m = /^train-mlogloss\s+([▁▂▃▄▅▆▇█]+)\s+(\S+) → (\S+)/.exec(line);
    assert.ok(m, line);
    assert.ok(Number(m[3]) < Number(m[2]), line);
    assert.doesNotMatch(r.stdout, /^\[0\]\t/m);
  });

  it("without a terminal: the metric lines as the container prints them, and no text curve", async () => {
    const r = await train(false);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[0\]\ttrain-mlogloss:[\d.]+$/m);
    assert.match(r.stdout, /^\[19\]\ttrain-mlogloss:[\d.]+$/m);
    assert.match(r.stdout, /^pictures: .*training-curve\.svg/m);
    assert.doesNotMatch(r.stdout, /[▁▂▃▄▅▆▇█]/);
    assert.ok(existsSync(join(r.root, "output", "data", "training-curve.svg")));
  });
});
