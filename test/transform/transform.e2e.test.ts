/**
 * End to end: `runTransform` against the real `serve` program (a child process on a free port,
 * real sockets, real libxgboost), compared with one request per record to the same server.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type BatchStrategy,
  runTransform,
  startServe,
} from "../../packages/cli/src/local/transform/index.js";
import { irisMlRoot, irisRows } from "../kit/iris.js";
import { SERVE_FROM_SOURCE } from "../kit/process.js";

const SERVE = [...SERVE_FROM_SOURCE];

let root: string;
let work: string;
let rows: string[];
let expected: Map<string, string>;

async function perRequest(accept: string): Promise<string> {
  const server = await startServe({ command: SERVE, baseDir: root });
  try {
    let out = "";
    for (const row of rows) {
      const r = await server.post("/invocations", Buffer.from(`${row}\n`), {
        "content-type": "text/csv",
        accept,
      });
      assert.equal(r.status, 200, r.body.toString());
      out += r.body.toString().endsWith("\n") ? r.body.toString() : `${r.body.toString()}\n`;
    }
    return out;
  } finally {
    await server.stop();
  }
}

before(async () => {
  root = await irisMlRoot();
  work = await mkdtemp(join(tmpdir(), "sagebrew-transform-test-"));
  rows = irisRows().features.map((f) => f.join(","));
  await mkdir(join(work, "in", "nested"), { recursive: true });
  await writeFile(join(work, "in", "a.csv"), `${rows.slice(0, 100).join("\n")}\n`);
  await writeFile(join(work, "in", "nested", "b.csv"), `${rows.slice(100).join("\n")}\n`);
  expected = new Map();
  for (const accept of ["text/csv", "application/jsonlines"]) expected.set(accept, await perRequest(accept));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

describe("runTransform() against the real serve", () => {
  const strategies: BatchStrategy[] = ["SingleRecord", "MultiRecord"];
  for (const strategy of strategies) {
    for (const accept of ["text/csv", "application/jsonlines"]) {
      it(`SplitType=Line, ${strategy}, Accept ${accept}: output equals per-request predictions, files and order kept`, async () => {
        const out = join(work, `out-${strategy}-${accept.replace("/", "_")}`);
        const summary = await runTransform({
          inputPath: join(work, "in"),
          outputDir: out,
          baseDir: root,
          serveCommand: SERVE,
          contentType: "text/csv",
          accept,
          splitType: "Line",
          assembleWith: "Line",
          batchStrategy: strategy,
          maxPayloadMb: 1,
          maxConcurrentTransforms: 2,
        });
        assert.equal(summary.failed.length, 0, JSON.stringify(summary.failed));
        assert.equal(summary.records, 150);
        const got =
          (await readFile(join(out, "a.csv.out"), "utf8")) +
          (await readFile(join(out, "nested", "b.csv.out"), "utf8"));
        assert.equal(got, expected.get(accept));
      });
    }
  }

  it("SplitType=None sends each file whole and matches too", async () => {
    const out = join(work, "out-none");
    const summary = await runTransform({
      inputPath: join(work, "in"),
      outputDir: out,
      baseDir: root,
      serveCommand: SERVE,
      contentType: "text/csv",
      accept: "text/csv",
      splitType: "None",
      assembleWith: "None",
    });
    assert.equal(summary.requests, 2);
    const got =
      (await readFile(join(out, "a.csv.out"), "utf8")) +
      (await readFile(join(out, "nested", "b.csv.out"), "utf8"));
    assert.equal(got, expected.get("text/csv"));
  });

  it("takes unset job values from /execution-parameters", async () => {
    const summary = await runTransform({
      inputPath: join(work, "in", "a.csv"),
      outputDir: join(work, "out-ep"),
      baseDir: root,
      serveCommand: SERVE,
      contentType: "text/csv",
      splitType: "Line",
      assembleWith: "Line",
    });
    assert.equal(summary.strategy, "MultiRecord");
    assert.ok(summary.maxPayloadMb >= 1);
    assert.ok(summary.requests < 100);
  });

  it("joins input and output with JoinSource=Input and filters with OutputFilter", async () => {
    const out = join(work, "out-join");
    await runTransform({
      inputPath: join(work, "in", "a.csv"),
      outputDir: out,
      baseDir: root,
      serveCommand: SERVE,
      contentType: "text/csv",
      accept: "text/csv",
      splitType: "Line",
      assembleWith: "Line",
      batchStrategy: "MultiRecord",
      dataProcessing: {
        joinSource: "Input",
        inputFormat: "csv",
        outputFormat: "csv",
        outputFilter: (await import("../../packages/cli/src/local/transform/index.js")).compileJsonPath(
          "$[0,4:]",
        ),
      },
    });
    const lines = (await readFile(join(out, "a.csv.out"), "utf8")).trimEnd().split("\n");
    const exp = expected.get("text/csv")!.trimEnd().split("\n").slice(0, 100);
    assert.equal(lines.length, 100);
    lines.forEach((l, i) => {
      assert.equal(l, `${rows[i]!.split(",")[0]},${exp[i]}`);
    });
  });

  it("a failing file gets no .out while the others do; an oversized record is a clear error", async () => {
    await mkdir(join(work, "mixed"), { recursive: true });
    await writeFile(join(work, "mixed", "good.csv"), `${rows.slice(0, 5).join("\n")}\n`);
    await writeFile(join(work, "mixed", "bad.csv"), `${rows[0]}\nnot,a,number,row\n`);
    await writeFile(join(work, "mixed", "huge.csv"), `${"1,".repeat(600_000)}1\n`);
    const out = join(work, "out-mixed");
    const summary = await runTransform({
      inputPath: join(work, "mixed"),
      outputDir: out,
      baseDir: root,
      serveCommand: SERVE,
      contentType: "text/csv",
      accept: "text/csv",
      splitType: "Line",
      assembleWith: "Line",
      batchStrategy: "SingleRecord",
      maxPayloadMb: 1,
    });
    assert.equal(summary.succeeded, 1);
    assert.ok(existsSync(join(out, "good.csv.out")));
    assert.ok(!existsSync(join(out, "bad.csv.out")));
    assert.ok(!existsSync(join(out, "huge.csv.out")));
    const bad = summary.failed.find((f) => f.file === "bad.csv");
    assert.match(bad?.error ?? "", /Cannot transform record 2 of bad\.csv: serve answered 4\d\d/);
    const huge = summary.failed.find((f) => f.file === "huge.csv");
    assert.match(
      huge?.error ?? "",
      /Cannot send record 1 of huge\.csv: it is 1200002 bytes, over MaxPayloadInMB \(1048576 bytes\)/,
    );
  });
});
