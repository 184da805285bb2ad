/**
 * A custom algorithm (the nearest-centroid example, TypeScript compiled to JavaScript) under the
 * real `train` program: its failure paths — a bad hyperparameter, a missing channel, SIGTERM, an
 * exception in `train` — end exactly as XGBoost's do: the same failure file shape (the reason
 * alone, as SageMaker shows it in `FailureReason`), the same error code and fault kind in the log
 * (`train: error <code> (<kind> fault): …`) and the same exit codes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IRIS_DIR, type MlDir, makeMlDir, REPO, TRAIN_BIN } from "../kit/ml-dir.js";
import { run, sigtermAfter } from "../kit/process.js";

const EXAMPLE = join(REPO, "examples", "custom-handler");
const CENTROIDS = join(EXAMPLE, "dist", "algorithm.js");

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

before(() => {
  const tsc = spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", EXAMPLE], {
    encoding: "utf8",
  });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});

type Who = "xgboost" | "centroids" | "throws";

async function job(who: Who, hyperparameters: Record<string, string>): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  await d.write("input/config/hyperparameters.json", JSON.stringify(hyperparameters));
  if (who === "throws") {
    await d.write(
      "code/throws.mjs",
      [
        "export default {",
        '  name: "throws",',
        "  hyperparameters: { declarations: {} },",
        "  channels: { train: { required: true, aliases: ['training'] } },",
        "  async train(ctx) {",
        "    await ctx.channels.get('train').dataset();",
        "    JSON.parse('{ not json');",
        "  },",
        "};",
        "",
      ].join("\n"),
    );
  }
  return d;
}

function train(d: MlDir, who: Who, onStdout?: ReturnType<typeof sigtermAfter>["onStdout"]) {
  const algorithm =
    who === "centroids"
      ? { SAGEBREW_ALGORITHM: CENTROIDS }
      : who === "throws"
        ? { SAGEBREW_ALGORITHM: d.file("code/throws.mjs") }
        : {};
  return run(TRAIN_BIN, [], {
    env: { SAGEMAKER_BASE_DIR: d.root, ...algorithm },
    ...(onStdout ? { onStdout } : {}),
  });
}

/** The failure file's lines. */
async function failure(d: MlDir): Promise<string[]> {
  return (await readFile(d.file("output/failure"), "utf8")).trimEnd().split("\n");
}

interface Case {
  what: string;
  exit: number;
  tail: string;
  setup?: (d: MlDir) => Promise<void>;
  sigterm?: boolean;
  xgboost: { hp: Record<string, string>; first: RegExp };
  custom: { who: Who; hp: Record<string, string>; first: RegExp };
}

const CASES: Case[] = [
  {
    what: "a bad hyperparameter",
    exit: 1,
    tail: "error SB_HYPERPARAMETER (user fault): ",
    xgboost: {
      hp: { num_round: "5", etta: "0.1" },
      first: /^Hyperparameter etta: not a hyperparameter of the XGBoost algorithm \(did you mean eta\?\)$/,
    },
    custom: {
      who: "centroids",
      hp: { epoch: "5" },
      first:
        /^Hyperparameter epoch: not a hyperparameter of the nearest-centroid algorithm \(did you mean epochs\?\)$/,
    },
  },
  {
    what: "a value out of its declared range, or a broken dependency",
    exit: 1,
    tail: "error SB_HYPERPARAMETER (user fault): ",
    xgboost: { hp: { num_round: "5", eta: "2" }, first: /^Hyperparameter eta: 2 is not in \[0, 1\]$/ },
    custom: {
      who: "centroids",
      hp: { epochs: "0", eta: "0.1" },
      first:
        /^Hyperparameter learning_rate: has no effect with epochs=0; set epochs to 1 or more, or remove it$/,
    },
  },
  {
    what: "a missing channel",
    exit: 1,
    tail: "error SB_CHANNEL_MISSING (user fault): ",
    setup: async (d) => {
      await rm(d.file("input/data/training"), { recursive: true });
      await rm(d.file("input/config/inputdataconfig.json"));
    },
    xgboost: {
      hp: { num_round: "5" },
      first:
        /^Cannot train: there is no train channel; put the training data in .*\/input\/data\/train\/ \(or training\/\)$/,
    },
    custom: {
      who: "centroids",
      hp: {},
      first:
        /^Cannot train: there is no train channel; put the training data in .*\/input\/data\/train\/ \(or training\/\)$/,
    },
  },
  {
    what: "SIGTERM",
    exit: 143,
    tail: "error SB_TERMINATED (platform fault): ",
    sigterm: true,
    setup: async (d) => {
      // Enough rows that an XGBoost round takes a while.
      const rows: string[] = [];
      for (let i = 0; i < 20000; i++)
        rows.push(`${i % 2},${(i * 7) % 13},${Math.sin(i)},${Math.cos(i * 3)},${i % 5}`);
      await d.write("input/data/training/iris.csv", `${rows.join("\n")}\n`);
    },
    xgboost: {
      hp: { num_round: "100000", objective: "binary:logistic", max_depth: "8" },
      first: /^Training stopped by SIGTERM after \d+ of 100000 rounds; no model was saved/,
    },
    custom: {
      who: "centroids",
      hp: { epochs: "100000" },
      first: /^Training stopped by SIGTERM after \d+ of 100000 rounds; no model was saved/,
    },
  },
  {
    what: "an exception in train",
    exit: 2,
    tail: "(algorithm fault): ",
    xgboost: {
      hp: { num_round: "3", objective: "multi:softprob", num_class: "3", tree_method: "hist", max_bin: "1" },
      first:
        // XGBoost 1.7 refuses the parameter at round 0; 3.x already while building the quantile matrix.
        /^XGBoost failed to (run boosting round 0: value 1 for Parameter max_bin should be greater equal to 2|build a quantile DMatrix: .*`max_bin` must be equal to or greater than 2)/,
    },
    custom: { who: "throws", hp: {}, first: /^Cannot train with the throws algorithm: .*JSON/ },
  },
];

describe("a custom algorithm fails as XGBoost does", () => {
  for (const c of CASES) {
    it(`for ${c.what}: exit ${c.exit}, the reason in the failure file, ${c.tail} in the log`, async () => {
      for (const [who, side] of [
        ["xgboost", c.xgboost],
        [c.custom.who, c.custom],
      ] as const) {
        const d = await job(who, side.hp);
        await c.setup?.(d);
        const stop = c.sigterm ? sigtermAfter("[2]") : undefined;
        const r = await train(d, who, stop?.onStdout);
        assert.equal(r.code, c.exit, `${who}: exit code; stderr: ${r.stderr}`);
        const lines = await failure(d);
        assert.match(lines[0]!, side.first, who);
        assert.equal(lines.length, 1, `${who}: the reason alone: ${lines.join("\n")}`);
        assert.doesNotMatch(lines.join("\n"), /sagebrew error|SB_[A-Z_]+/, `${who}: no error code`);
        assert.ok(r.stderr.includes(c.tail), `${who}: ${r.stderr}`);
        assert.equal(
          existsSync(d.file("model/xgboost-model")) || existsSync(d.file("model/centroids.json")),
          false,
        );
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${who}: no stack trace`);
      }
    });
  }
});
