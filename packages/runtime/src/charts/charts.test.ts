import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { curveText, featureImportanceSvg, sparkline, trainingCurveSvg } from "./index.js";

/** Parses an SVG document strictly: any XML error fails the test. */
function parseSvg(text: string) {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") errors.push(message);
    },
  }).parseFromString(text, "image/svg+xml");
  assert.deepEqual(errors, [], "well-formed XML");
  const svg = doc.documentElement!;
  assert.equal(svg.tagName, "svg");
  assert.equal(svg.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  return svg;
}

const all = (root: Element, tag: string) => Array.from(root.getElementsByTagName(tag));

const rounds = Array.from({ length: 30 }, (_, r) => ({
  round: r,
  metrics: [
    { set: "train", metric: "logloss", value: 1 / (r + 1) },
    { set: "validation", metric: "logloss", value: 1 / (r + 1) + 0.01 * r },
    { set: "train", metric: "error", value: r === 5 ? Number.NaN : 0.5 - r / 100 },
  ],
}));

describe("trainingCurveSvg()", () => {
  it("draws every metric of every set per round, each as a series, and marks the best round", () => {
    const svg = parseSvg(
      trainingCurveSvg(rounds, { round: 9, score: 0.19, metric: "validation-logloss" }, "XGBoost"),
    );
    const series = all(svg, "path").filter((p) => p.getAttribute("class") === "series");
    assert.deepEqual(
      series.map((p) => [p.getAttribute("data-series"), p.getAttribute("data-points")]),
      [
        ["train-logloss", "30"],
        ["validation-logloss", "30"],
        ["train-error", "30"],
      ],
    );
    const errorPath = series[2]!.getAttribute("d")!;
    assert.equal(errorPath.match(/M/g)?.length, 2, "a missing value breaks the line");
    const panels = all(svg, "g").map((g) => g.getAttribute("data-metric"));
    assert.deepEqual(panels, ["logloss", "error"]);
    const best = all(svg, "line").filter((l) => l.getAttribute("class") === "best-round");
    assert.equal(best.length, 2, "the best round is marked in every panel");
    assert.equal(best[0]!.getAttribute("data-best-round"), "9");
    assert.match(all(svg, "title")[0]!.textContent ?? "", /XGBoost: 30 rounds, best round 9/);
  });

  it("escapes names, and draws a single round", () => {
    const svg = parseSvg(
      trainingCurveSvg(
        [{ round: 0, metrics: [{ set: "a<b&c", metric: 'x"y', value: 1 }] }],
        undefined,
        "<mine>",
      ),
    );
    const [path] = all(svg, "path");
    assert.equal(path!.getAttribute("data-series"), 'a<b&c-x"y');
    assert.equal(all(svg, "circle").length, 1, "a lone point is drawn as a dot");
  });
});

describe("featureImportanceSvg()", () => {
  it("draws gain, weight and cover per feature, ordered by gain, the top 20 at most", () => {
    const n = 25;
    const features = Array.from({ length: n }, (_, i) => `f${i}`);
    const gain = features.map((_, i) => i);
    const svg = parseSvg(
      featureImportanceSvg(
        { features, measures: { gain, weight: gain.map((g) => g * 2), cover: gain.map((g) => g + 1) } },
        "XGBoost",
      ),
    );
    const bars = all(svg, "rect").filter((r) => r.getAttribute("class") === "bar");
    assert.equal(bars.length, 3 * 20);
    const gainBars = bars.filter((b) => b.getAttribute("data-measure") === "gain");
    assert.deepEqual(
      gainBars.slice(0, 3).map((b) => [b.getAttribute("data-feature"), b.getAttribute("data-value")]),
      [
        ["f24", "24"],
        ["f23", "23"],
        ["f22", "22"],
      ],
    );
    assert.deepEqual(
      all(svg, "g").map((g) => g.getAttribute("data-measure")),
      ["gain", "weight", "cover"],
    );
    assert.match(all(svg, "title")[0]!.textContent ?? "", /\(the 20 most important of 25\)/);
  });
});

describe("curveText()", () => {
  it("gives a sparkline per series with first and last value and the best round", () => {
    const lines = curveText(rounds, { round: 9, score: 0.19, metric: "validation-logloss" }, 10);
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^train-logloss {7}█▃▂▂▁▁▁▁▁▁ {2}1 → 0\.03333$/);
    assert.match(lines[1]!, /best round 9$/);
    assert.equal(sparkline([1, 2, 3, Number.NaN]), "▁▅█ ");
  });
});
