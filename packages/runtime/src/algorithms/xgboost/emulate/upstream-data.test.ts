/**
 * Upstream-derived checks: a channel's files as SageMaker's XGBoost container reads them (its
 * `data_utils.get_size`, `validate_data_file_path` and `get_dmatrix` on XGBoost 1.7.4, run by
 * testdata/upstream_cases.py in a temporary directory), against the emulation's reading of the same
 * files: the rows, columns, labels and weights it trains on, or the error it fails with.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFileSync, rm, writeFile } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { upstreamFormat } from "./channels.js";
import { containerChannelPath, loadUpstreamFiles, upstreamSize, validateUpstreamFiles } from "./data.js";
import { UpstreamError } from "./hyperparameters.js";

type Outcome =
  | { ok: { rows: number; cols: number; labels: number[]; weights: number[] } }
  | { error: string; message: string }
  | { crash: string; message: string };
interface Case {
  name: string;
  contentType: string;
  files: Record<string, string>;
  csvWeights: number;
  outcomes: Array<{ versions: string[]; outcome: Outcome }>;
}
const expected = JSON.parse(
  readFileSync(new URL("./testdata/upstream-expected.json", import.meta.url), "utf8"),
) as { sections: { data: Case[] } };

/**
 * Cases the emulation answers otherwise, each a row of docs/compatibility.md: three whose outcome in
 * the container depends on the order its file system lists files in, and a libsvm line XGBoost's
 * parser reads leniently (sagebrew's parser names it).
 */
const KNOWN_DEVIATIONS = new Set([
  "csv two files",
  "csv four levels deep",
  "csv _SUCCESS marker",
  "libsvm index without value",
]);

async function run(c: Case, root: string): Promise<Outcome> {
  const train = join(root, "train");
  await promisify(mkdir)(train, { recursive: true });
  for (const [rel, text] of Object.entries(c.files)) {
    await promisify(mkdir)(dirname(join(train, rel)), { recursive: true });
    await promisify(writeFile)(join(train, rel), text);
  }
  try {
    const format = upstreamFormat(c.contentType);
    const size = await upstreamSize(train);
    if (size > 0) await validateUpstreamFiles(train, format);
    const parts =
      size > 0 && (format === "csv" || format === "libsvm")
        ? await loadUpstreamFiles(train, format, { csvWeights: c.csvWeights === 1, warn: () => undefined })
        : [];
    if (parts.length === 0)
      throw new UpstreamError(
        "UserError",
        `No data in training channel path ${containerChannelPath("train")}`,
      );
    return {
      ok: {
        rows: parts.reduce((s, p) => s + p.features.rows, 0),
        cols: Math.max(...parts.map((p) => p.features.cols)),
        labels: parts.flatMap((p) => [...p.labels!]),
        weights: parts.flatMap((p) => [...(p.weights ?? [])]),
      },
    };
  } catch (e) {
    if (e instanceof UpstreamError) return { error: e.upstreamClass, message: e.message };
    throw e;
  }
}

describe("a channel's files read as SageMaker's XGBoost container reads them (File mode)", () => {
  for (const c of expected.sections.data) {
    if (KNOWN_DEVIATIONS.has(c.name)) continue;
    it(`reads ${c.name} as the container does`, async () => {
      const want = c.outcomes[0]!.outcome;
      // The same in every version (XGBoost's own failures differ only in their time and addresses).
      if (!("message" in want && want.message.includes("Stack trace:"))) assert.equal(c.outcomes.length, 1);
      const root = await promisify(mkdtemp)(join(tmpdir(), "sagebrew-emulate-"));
      try {
        const got = await run(c, root);
        if ("error" in want && "error" in got && want.message.includes("Stack trace:")) {
          // XGBoost's own failure: its text carries a time, source lines and a native backtrace.
          assert.equal(got.error, want.error);
          const [head] = want.message.split("\n");
          assert.ok(got.message.startsWith(`${head}\n`), got.message);
          const reason = /csv_parser\.h:\d+: (.*)/.exec(want.message)?.[1];
          if (reason) assert.ok(got.message.includes(reason), got.message);
          return;
        }
        const normal = (o: Outcome) =>
          "error" in o ? { ...o, message: o.message.replace("<root>/train", "/opt/ml/input/data/train") } : o;
        assert.deepEqual(normal(got), normal(want));
      } finally {
        await promisify(rm)(root, { recursive: true, force: true });
      }
    });
  }
});
