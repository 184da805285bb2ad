/**
 * Upstream-derived checks: SageMaker's XGBoost container's own hyperparameter validation, run on
 * every case of testdata/upstream_cases.py for every image version (testdata/upstream-expected.json,
 * see testdata/README.md), against its port. The cases include upstream's own unit tests
 * (test_algorithm_mode.py, test_hyperparameter_validation.py) and the rows of docs/compatibility.md.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { XGBoostImageVersion } from "../../../config/emulate.js";
import { pyToJson, UpstreamCrash, UpstreamError, validateUpstream } from "./hyperparameters.js";

type Outcome =
  | { ok: Record<string, unknown> }
  | { error: "UserError" | "AlgorithmError"; message: string }
  | { crash: string; message: string };
interface Case {
  name: string;
  hyperparameters: Record<string, string>;
  outcomes: Array<{ versions: XGBoostImageVersion[]; outcome: Outcome }>;
}

const expected = JSON.parse(
  readFileSync(new URL("./testdata/upstream-expected.json", import.meta.url), "utf8"),
) as { sections: { hyperparameters: Case[] } };

function run(version: XGBoostImageVersion, hp: Record<string, string>): Outcome {
  try {
    const v = validateUpstream(version, hp);
    return { ok: Object.fromEntries([...v].map(([k, x]) => [k, pyToJson(x)])) };
  } catch (e) {
    if (e instanceof UpstreamError) return { error: e.upstreamClass, message: e.message };
    if (e instanceof UpstreamCrash) return { crash: e.pyClass, message: e.pyMessage };
    throw e;
  }
}

/** Upstream's "Linear updater" message formats a generator object (a memory address): compare its start. */
const comparable = (o: Outcome): Outcome =>
  "message" in o && o.message.startsWith("Linear updater should be one of these options:")
    ? { ...o, message: "Linear updater should be one of these options: …" }
    : o;

describe("validateUpstream() answers as SageMaker's XGBoost container validates hyperparameters", () => {
  const cases = expected.sections.hyperparameters;
  it(`agrees on all ${cases.length} cases for every version`, () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      for (const { versions, outcome } of c.outcomes) {
        for (const version of versions) {
          const got = comparable(run(version, c.hyperparameters));
          const want = comparable(outcome);
          // A crash is compared by its exception class (the text is Python's own).
          const same =
            "crash" in want ? "crash" in got && got.crash === want.crash : isDeepStrictEqual(got, want);
          if (!same)
            mismatches.push(`${version} ${c.name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        }
      }
    }
    assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
  });
});

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
