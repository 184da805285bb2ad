/**
 * Upstream-derived checks: SageMaker's XGBoost container's channel validation and content-type
 * parsing (test_algorithm_mode.py, test_channel_validation.py, test_data_utils.py's
 * test_get_content_type, and more), run by testdata/upstream_cases.py for every image version,
 * against their ports.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { upstreamFormat, validateUpstreamChannels } from "./channels.js";
import { UpstreamCrash, UpstreamError } from "./hyperparameters.js";

type Outcome = { ok: unknown } | { error: string; message: string } | { crash: string; message: string };
interface Group {
  versions: string[];
  outcome: Outcome;
}
const expected = JSON.parse(
  readFileSync(new URL("./testdata/upstream-expected.json", import.meta.url), "utf8"),
) as {
  sections: {
    channels: Array<{ name: string; inputdataconfig: Record<string, unknown>; outcomes: Group[] }>;
    contentTypes: Array<{ name: string; contentType: string | null; outcomes: Group[] }>;
  };
};

function outcomeOf(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    if (e instanceof UpstreamError) return { error: e.upstreamClass, message: e.message };
    if (e instanceof UpstreamCrash) return { crash: e.pyClass, message: e.pyMessage };
    throw e;
  }
}

describe("SageMaker XGBoost's channel validation", () => {
  for (const c of expected.sections.channels) {
    it(`answers ${c.name} as the container does`, () => {
      // The same in every version: one outcome.
      assert.equal(c.outcomes.length, 1);
      const got = outcomeOf(() => Object.fromEntries(validateUpstreamChannels(c.inputdataconfig)));
      assert.deepEqual(got, c.outcomes[0]!.outcome);
    });
  }
});

describe("SageMaker XGBoost's content types (data_utils.get_content_type)", () => {
  for (const c of expected.sections.contentTypes) {
    it(`reads ${c.name} as the container does`, () => {
      assert.equal(c.outcomes.length, 1);
      assert.deepEqual(
        outcomeOf(() => upstreamFormat(c.contentType)),
        c.outcomes[0]!.outcome,
      );
    });
  }
});
