import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { parallelCoordinatesSvg, rampColor, tuningProgressSvg } from "./index.js";

function parseSvg(text: string) {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") errors.push(message);
    },
  }).parseFromString(text, "image/svg+xml");
  assert.deepEqual(errors, [], "well-formed XML");
  return doc.documentElement!;
}
const all = (root: Element, tag: string) => Array.from(root.getElementsByTagName(tag));
const byClass = (root: Element, tag: string, cls: string) =>
  all(root, tag).filter((e) => (e.getAttribute("class") ?? "").split(" ").includes(cls));

describe("tuningProgressSvg()", () => {
  it("draws every job in start order with the best so far as a step line and the best ringed", () => {
    const svg = parseSvg(
      tuningProgressSvg(
        [
          { index: 1, name: "t-001", status: "Completed", value: 0.8 },
          { index: 2, name: "t-002", status: "Stopped", value: 0.7 },
          { index: 3, name: "t-003", status: "Failed" },
          { index: 4, name: "t-<4>", status: "Completed", value: 0.9 },
        ],
        { metric: "validation:auc", maximize: true, title: "xgb & co" },
      ),
    );
    assert.deepEqual(
      byClass(svg, "circle", "trial").map((c) => [
        c.getAttribute("data-index"),
        c.getAttribute("data-status"),
      ]),
      [
        ["1", "Completed"],
        ["2", "Stopped"],
        ["4", "Completed"],
      ],
    );
    assert.equal(byClass(svg, "path", "failed").length, 1);
    assert.equal(byClass(svg, "circle", "best")[0]!.getAttribute("data-index"), "4");
    const step = byClass(svg, "path", "best-so-far")[0]!.getAttribute("d")!;
    assert.equal(step.match(/V/g)?.length, 2, "a step (H then V) for each scored job after the first");
    assert.match(
      all(svg, "title")[0]!.textContent ?? "",
      /xgb & co: 4 training jobs, best validation:auc 0.9 \(job 4\)/,
    );
  });

  it("rings the lowest value when minimising, and draws a job-less picture", () => {
    const svg = parseSvg(
      tuningProgressSvg(
        [
          { index: 1, name: "a", status: "Completed", value: 3 },
          { index: 2, name: "b", status: "Completed", value: 2 },
        ],
        { metric: "validation:rmse", maximize: false, title: "t" },
      ),
    );
    assert.equal(byClass(svg, "circle", "best")[0]!.getAttribute("data-index"), "2");
    parseSvg(tuningProgressSvg([], { metric: "m", maximize: true, title: "empty" }));
  });
});

describe("parallelCoordinatesSvg()", () => {
  it("draws a line per job across one axis per hyperparameter and the objective, the best on top", () => {
    const svg = parseSvg(
      parallelCoordinatesSvg(
        [
          { name: "eta", kind: "log", min: 0.01, max: 1 },
          { name: "max_depth", kind: "linear", min: 1, max: 10 },
          { name: "booster", kind: "categorical", values: ["gbtree", "dart"] },
        ],
        [
          { name: "t-1", values: { eta: "0.1", max_depth: "3", booster: "gbtree" }, objective: 0.7 },
          { name: "t-2", values: { eta: "0.3", max_depth: "6", booster: "dart" }, objective: 0.9 },
          { name: "t-3", values: { eta: "0.5", max_depth: "9", booster: "dart" } },
        ],
        { metric: "validation:auc", maximize: true, title: "xgb" },
      ),
    );
    assert.deepEqual(
      byClass(svg, "g", "axis").map((g) => g.getAttribute("data-name")),
      ["eta", "max_depth", "booster", "validation:auc"],
    );
    const trials = byClass(svg, "path", "trial");
    assert.deepEqual(
      trials.map((p) => p.getAttribute("data-name")),
      ["t-3", "t-1", "t-2"],
      "unscored first, then worst to best",
    );
    assert.equal(byClass(svg, "path", "best")[0]!.getAttribute("data-name"), "t-2");
    assert.equal(trials[2]!.getAttribute("stroke"), rampColor(1));
    assert.equal(trials[1]!.getAttribute("stroke"), rampColor(0));
    assert.equal(trials[0]!.getAttribute("d")!.match(/[ML]/g)!.length, 3, "no objective: three axes only");
    assert.equal(trials[2]!.getAttribute("d")!.match(/[ML]/g)!.length, 4);
  });

  it("rampColor() runs from dark blue to yellow", () => {
    assert.equal(rampColor(0), "#440154");
    assert.equal(rampColor(1), "#fde725");
    assert.equal(rampColor(Number.NaN), "#440154");
  });
});
