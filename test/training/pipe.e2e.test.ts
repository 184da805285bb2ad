/**
 * Pipe mode with real FIFOs: SageMaker writes `<channel>_<epoch>` while `train` reads it. The
 * model equals the one trained from the same data in File mode.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { Booster, parseCsv } from "@sagebrew/runtime";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

/** Writes `chunks` into the FIFO with pauses, as SageMaker streams S3 objects. */
async function feed(path: string, chunks: Uint8Array[]): Promise<void> {
  const out = createWriteStream(path);
  for (const c of chunks) {
    await new Promise<void>((resolve, reject) => out.write(c, (e) => (e ? reject(e) : resolve())));
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

function frame(payload: Uint8Array): Uint8Array {
  const pad = (4 - (payload.length % 4)) % 4;
  const out = new Uint8Array(8 + payload.length + pad);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xced7230a, true);
  v.setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

async function predict(d: MlDir): Promise<number[]> {
  const b = await Booster.fromFile(d.file("model/xgboost-model"));
  const { features } = parseCsv(await readFile(IRIS_CSV), { source: "iris", label: true });
  const p = features.kind === "dense" ? Array.from(b.predictDense(features).values) : [];
  b.dispose();
  return p;
}

describe("pipe mode", () => {
  for (const wrapper of ["None", "RecordIO"] as const) {
    it(`trains from a FIFO (RecordWrapperType ${wrapper}) the same model as from a file`, async () => {
      const file = await makeMlDir({ from: IRIS_DIR });
      dirs.push(file);
      assert.equal((await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: file.root } })).code, 0);

      const piped = await makeMlDir({ from: IRIS_DIR });
      dirs.push(piped);
      await rm(piped.file("input/data/training"), { recursive: true });
      await piped.write(
        "input/config/inputdataconfig.json",
        JSON.stringify({
          training: { ContentType: "text/csv", TrainingInputMode: "Pipe", RecordWrapperType: wrapper },
        }),
      );
      const fifo = piped.file("input/data/training_0");
      execFileSync("mkfifo", [fifo]);
      const csv = await readFile(IRIS_CSV);
      // Two "S3 objects", split mid-file at a line boundary.
      const cut = csv.indexOf(10, csv.length >> 1) + 1;
      const objects = [csv.subarray(0, cut), csv.subarray(cut)];
      const chunks =
        wrapper === "RecordIO"
          ? objects.map(frame)
          : [csv.subarray(0, 100), csv.subarray(100, cut), csv.subarray(cut)];
      const training = run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: piped.root } });
      await feed(fifo, chunks);
      const r = await training;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /channel training: 150 rows x 4 features from pipe training_0/);
      assert.deepEqual(await predict(piped), await predict(file));
    });
  }

  it("names the line of bad data arriving through the pipe", async () => {
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    await rm(d.file("input/data/training"), { recursive: true });
    await d.write(
      "input/config/inputdataconfig.json",
      JSON.stringify({ training: { ContentType: "text/csv", TrainingInputMode: "Pipe" } }),
    );
    const fifo = d.file("input/data/training_0");
    execFileSync("mkfifo", [fifo]);
    const training = run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    await feed(fifo, [new TextEncoder().encode("setosa,1,2,3,4\nsetosa,1,2,x,4\n")]);
    const r = await training;
    assert.equal(r.code, 1);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^Cannot parse CSV training_0 line 2 column 4: "x" is not a number/,
    );
  });
});
