import assert from "node:assert/strict";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { concatDatasets } from "../codecs/concat.js";
import { parseCsv } from "../codecs/csv.js";
import { isSagebrewError } from "../errors/index.js";
import { loadCsvFile, parseCsvRange } from "./csv-file.js";

const dirP = mkdtemp(join(tmpdir(), "sb-csvfile-"));
after(async () => rm(await dirP, { recursive: true, force: true }));

function rows(n: number, label: (i: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(`${label(i)},${(i * 0.37).toFixed(3)},${i % 7},${Math.sin(i).toPrecision(8)}`);
  return `${out.join("\n")}\n`;
}

describe("loadCsvFile() streaming in parallel", () => {
  it("gives the same rows, in order, as parsing the whole file at once", async () => {
    const path = join(await dirP, "big.csv");
    const text = rows(5000, (i) => String(i % 2));
    await writeFile(path, text);
    const parts = await loadCsvFile(path, {
      source: "big.csv",
      weight: false,
      header: "absent",
      threads: 3,
      parallelFrom: 1024,
    });
    assert.ok(parts.length > 1);
    const joined = concatDatasets(parts, "train");
    const whole = parseCsv(new TextEncoder().encode(text), { source: "big.csv", label: true });
    assert.deepEqual(Array.from(joined.labels!), Array.from(whole.labels!));
    assert.deepEqual(
      Array.from(joined.features.kind === "dense" ? joined.features.values : []),
      Array.from(whole.features.kind === "dense" ? whole.features.values : []),
    );
  });

  it("keeps class-name labels and skips a declared header", async () => {
    const path = join(await dirP, "names.csv");
    await writeFile(path, `y,a,b,c\n${rows(3000, (i) => ["setosa", "versicolor"][i % 2]!)}`);
    const parts = await loadCsvFile(path, {
      source: "names.csv",
      weight: false,
      header: "present",
      threads: 2,
      parallelFrom: 1024,
    });
    const labels = parts.flatMap((p) => p.labelStrings ?? []);
    assert.equal(labels.length, 3000);
    assert.equal(labels[2999], "versicolor");
  });

  it("names the true line of an error found by a later thread", async () => {
    const path = join(await dirP, "bad.csv");
    const lines = rows(4000, (i) => String(i % 2)).split("\n");
    lines[3500] = "1,2,oops,4";
    await writeFile(path, lines.join("\n"));
    await assert.rejects(
      loadCsvFile(path, {
        source: "bad.csv",
        weight: false,
        header: "absent",
        threads: 2,
        parallelFrom: 1024,
      }),
      (e: unknown) =>
        isSagebrewError(e, "SB_DATA_PARSE") &&
        /bad\.csv line 3501 column 3: "oops" is not a number/.test(e.message),
    );
  });

  it("rejects an undeclared header in a large file", async () => {
    const path = join(await dirP, "header.csv");
    await writeFile(path, `label,a,b,c\n${rows(2000, () => "1")}`);
    await assert.rejects(
      loadCsvFile(path, {
        source: "header.csv",
        weight: false,
        header: "absent",
        threads: 2,
        parallelFrom: 1024,
      }),
      /header\.csv: line 1 looks like a header/,
    );
  });
});

describe("loadCsvFile() lines over the limit", () => {
  const tooLong = (re: RegExp) => (e: unknown) => isSagebrewError(e, "SB_DATA_PARSE") && re.test(e.message);

  it("reports a late overlong line as a long first line, at its number, without gathering it", async () => {
    // 1,000 good lines, then 64 MiB of NULs (a sparse extension: no disk used where the file system
    // allows it). Before, the loader gathered the whole "line" — 2 GB of them died in V8.
    const path = join(await dirP, "late.csv");
    await writeFile(
      path,
      rows(1000, (i) => String(i % 2)),
    );
    await truncate(path, 64 << 20);
    await assert.rejects(
      loadCsvFile(path, { source: "late.csv", weight: false, header: "absent" }),
      tooLong(/^Cannot parse CSV late\.csv line 1001: the line is longer than 1 MiB$/),
    );
  });

  it("says the same of a long first line", async () => {
    const path = join(await dirP, "first.csv");
    await writeFile(path, `${"9".repeat(5000)}\n${rows(100, () => "1")}`);
    const options = { source: "first.csv", weight: false, header: "absent", parallelFrom: 1024 } as const;
    await assert.rejects(
      loadCsvFile(path, { ...options, maxLineBytes: 4096 }),
      tooLong(/^Cannot parse CSV first\.csv line 1: the line is longer than 4 KiB$/),
    );
  });

  it("names the true line when a later thread finds it, and still reports earlier errors first", async () => {
    const path = join(await dirP, "later.csv");
    const lines = rows(4000, (i) => String(i % 2)).split("\n");
    lines[3500] = `1,${"0".repeat(10_000)},2,3`;
    await writeFile(path, lines.join("\n"));
    const options = {
      source: "later.csv",
      weight: false,
      header: "absent",
      threads: 2,
      parallelFrom: 1024,
    } as const;
    await assert.rejects(
      loadCsvFile(path, { ...options, maxLineBytes: 4096 }),
      tooLong(/^Cannot parse CSV later\.csv line 3501: the line is longer than 4 KiB$/),
    );
    lines[20] = "1,2,oops,4";
    await writeFile(path, lines.join("\n"));
    await assert.rejects(
      loadCsvFile(path, { ...options, threads: 1, maxLineBytes: 4096 }),
      /later\.csv line 21 column 3/,
    );
  });

  it("stops a stream (a pipe) at a line over the limit, however long it goes on", async () => {
    const path = join(await dirP, "stream.csv");
    await writeFile(
      path,
      rows(10, () => "0"),
    );
    await truncate(path, 8 << 20);
    const batches: number[] = [];
    await assert.rejects(
      parseCsvRange(
        {
          path,
          source: "train_0",
          start: 0,
          end: Number.POSITIVE_INFINITY,
          sequential: true,
          firstLine: 1,
          label: true,
          weight: false,
          blockBytes: 64 << 10,
          maxLineBytes: 4096,
        },
        (d) => batches.push(d.features.rows),
      ),
      tooLong(/^Cannot parse CSV train_0 line 11: the line is longer than 4 KiB$/),
    );
    assert.deepEqual(batches, [10]);
  });
});
