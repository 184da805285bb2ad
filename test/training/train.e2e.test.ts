/**
 * The real `train` program (built dist, child process) against temp /opt/ml trees: the iris job
 * end to end, every failure path with its failure file and exit code, and SIGTERM.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, readFile, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { Booster, parseCsv } from "@sagebrew/runtime";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { type RunOptions, run, sigtermAfter } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

async function irisDir(): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  return d;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function train(d: MlDir, extra: { onStdout?: RunOptions["onStdout"] } = {}) {
  return run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root }, ...extra });
}

async function failure(d: MlDir): Promise<string> {
  return readFile(d.file("output/failure"), "utf8");
}

describe("train (iris, end to end)", () => {
  it("writes a model that classifies the training data with accuracy >= 0.9, and no failure file", async () => {
    const d = await irisDir();
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[0\]\ttrain-mlogloss:\d/m, "XGBoost's own evaluation line format");
    assert.match(r.stdout, /^\[19\]\ttrain-mlogloss:/m);
    assert.equal(existsSync(d.file("output/failure")), false);
    const booster = await Booster.fromFile(d.file("model/xgboost-model"));
    assert.deepEqual(JSON.parse(booster.getAttr("sagebrew_class_names")!), [
      "setosa",
      "versicolor",
      "virginica",
    ]);
    const data = parseCsv(await readFile(IRIS_CSV), { source: "iris.csv", label: true });
    assert.equal(data.features.kind, "dense");
    if (data.features.kind !== "dense") return;
    const p = booster.predictDense(data.features);
    const names = ["setosa", "versicolor", "virginica"];
    let correct = 0;
    for (let r = 0; r < data.features.rows; r++) {
      const row = Array.from(p.values.subarray(r * 3, r * 3 + 3));
      if (names[row.indexOf(Math.max(...row))] === data.labelStrings![r]) correct++;
    }
    assert.ok(correct / data.features.rows >= 0.9, `accuracy ${correct / data.features.rows}`);
    booster.dispose();
    const meta = JSON.parse(await readFile(d.file("model/.sagebrew.json"), "utf8"));
    assert.equal(meta.num_features, 4);
    const metrics = JSON.parse(await readFile(d.file("output/data/metrics.json"), "utf8"));
    assert.equal(metrics.rounds.length, 20);
  });

  it("accepts JSON-encoded hyperparameters as newer SageMaker SDKs write them", async () => {
    const d = await irisDir();
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({ objective: '"multi:softprob"', num_class: "3", num_round: "5", learning_rate: "0.5" }),
    );
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /hyperparameter learning_rate is read as eta/);
  });

  it("early-stops on the validation channel and keeps the best rounds", async () => {
    const d = await irisDir();
    const csv = await readFile(IRIS_CSV, "utf8");
    await d.write("input/data/validation/iris.csv", csv);
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        objective: "multi:softprob",
        num_class: "3",
        num_round: "500",
        early_stopping_rounds: "3",
        eval_metric: "merror",
        max_depth: "2",
      }),
    );
    await rm(d.file("input/config/inputdataconfig.json"));
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\tvalidation-merror:/);
    assert.match(r.stdout, /early stopping after \d+ of 500/);
    const booster = await Booster.fromFile(d.file("model/xgboost-model"));
    const best = Number(booster.getAttr("best_iteration"));
    assert.equal(booster.boostedRounds, best + 1);
    booster.dispose();
  });

  it("reads a code channel (script mode's) beside the data without complaint", async () => {
    const d = await irisDir();
    await d.write("input/data/code/train.py", "print('not run')\n");
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
  });

  it("early-stops on XGBoost's default metric when eval_metric is not set, and says so", async () => {
    const d = await irisDir();
    // Every fourth validation row mislabelled: the validation loss turns up once the trees overfit.
    const names = ["setosa", "versicolor", "virginica"];
    const noisy = (await readFile(IRIS_CSV, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line, i) => {
        const [label, ...rest] = line.split(",");
        return i % 4 === 0 ? [names[(names.indexOf(label!) + 1) % 3], ...rest].join(",") : line;
      });
    await d.write("input/data/validation/iris.csv", `${noisy.join("\n")}\n`);
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        objective: "multi:softprob",
        num_class: "3",
        num_round: "500",
        early_stopping_rounds: "3",
      }),
    );
    await rm(d.file("input/config/inputdataconfig.json"));
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout + r.stderr,
      /early stopping watches XGBoost's default validation metric for multi:softprob/,
    );
    assert.match(r.stdout, /early stopping after \d+ of 500/);
    const meta = JSON.parse(await readFile(d.file("model/.sagebrew.json"), "utf8"));
    assert.equal(meta.stopping_metric, "validation-mlogloss");
  });

  it("computes sagebrew's own metrics such as accuracy and f1_macro", async () => {
    const d = await irisDir();
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        objective: "multi:softprob",
        num_class: "3",
        num_round: "3",
        eval_metric: "mlogloss,accuracy,f1_macro",
      }),
    );
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[2\]\ttrain-mlogloss:[\d.]+\ttrain-accuracy:0\.9\d*\ttrain-f1_macro:0\.9\d*$/m);
  });
});

describe("train failure paths", () => {
  const cases: Array<{ what: string; setup: (d: MlDir) => Promise<void>; message: RegExp; code?: number }> = [
    {
      what: "an unknown hyperparameter",
      setup: (d) =>
        d.write("input/config/hyperparameters.json", JSON.stringify({ num_round: "5", etta: "0.1" })),
      message: /^Hyperparameter etta: not a hyperparameter of the XGBoost algorithm \(did you mean eta\?\)/,
    },
    {
      what: "an out-of-range hyperparameter",
      setup: (d) =>
        d.write(
          "input/config/hyperparameters.json",
          JSON.stringify({ num_round: "5", objective: "multi:softprob", num_class: "3", eta: "2" }),
        ),
      message: /^Hyperparameter eta: 2 is not in \[0, 1\]/,
    },
    {
      what: "a missing num_round",
      setup: (d) => d.write("input/config/hyperparameters.json", JSON.stringify({ eta: "0.1" })),
      message: /^Hyperparameter num_round: missing; it is required/,
    },
    {
      what: "a missing train channel",
      setup: async (d) => {
        await rm(d.file("input/data/training"), { recursive: true });
        await rm(d.file("input/config/inputdataconfig.json"));
      },
      message:
        /^Cannot train: there is no train channel; put the training data in .*input\/data\/train\/ \(or training\/\)/,
    },
    {
      what: "an empty channel",
      setup: (d) => rm(d.file("input/data/training/iris.csv")),
      message: /^Cannot train: channel training holds no data files/,
    },
    {
      what: "a channel of blank files",
      setup: (d) => d.write("input/data/training/iris.csv", "\n\n"),
      message: /^Cannot train: channel training holds no data rows/,
    },
    {
      what: "a ragged CSV",
      setup: (d) => d.write("input/data/training/iris.csv", "setosa,5.1,3.5,1.4,0.2\nsetosa,4.9,3,1.4\n"),
      message: /^Cannot parse CSV training\/iris\.csv line 2: expected 5 columns, got 4/,
    },
    {
      what: "a non-numeric CSV value",
      setup: (d) =>
        d.write("input/data/training/iris.csv", "setosa,5.1,3.5,1.4,0.2\nsetosa,4.9,abc,1.4,0.2\n"),
      message: /^Cannot parse CSV training\/iris\.csv line 2 column 3: "abc" is not a number/,
    },
    {
      what: "a CSV header",
      setup: (d) =>
        d.write(
          "input/data/training/iris.csv",
          "species,sepal_length,sepal_width,petal_length,petal_width\nsetosa,5.1,3.5,1.4,0.2\n",
        ),
      message: /^Cannot read CSV training\/iris\.csv: line 1 looks like a header/,
    },
    {
      what: "an unreadable file",
      setup: async (d) => {
        await symlink("/nonexistent/iris.csv", d.file("input/data/training/broken.csv"));
      },
      message: /^Cannot read broken\.csv in channel training: .*ENOENT/,
    },
    {
      what: "a num_class that does not match the class names",
      setup: (d) =>
        d.write(
          "input/config/hyperparameters.json",
          JSON.stringify({ num_round: "2", objective: "multi:softprob", num_class: "4" }),
        ),
      message:
        /^Hyperparameter num_class: 4 does not match the 3 classes in the training labels \(setosa, versicolor, virginica\)/,
    },
    {
      // aws/sagemaker-xgboost-container channel validation: "Extraneous channel found".
      what: "a channel the XGBoost algorithm does not read",
      setup: (d) => d.write("input/data/valdation/iris.csv", "setosa,5.1,3.5,1.4,0.2\n"),
      message:
        /^Cannot train: channel valdation is not one the XGBoost algorithm reads \(train or training, validation, code\); rename it or leave it out of the job/,
    },
    {
      what: "a training ContentType with a malformed label_size",
      setup: (d) =>
        d.write(
          "input/config/inputdataconfig.json",
          JSON.stringify({ training: { ContentType: "text/csv; label_size=2; label_size=1" } }),
        ),
      message:
        /^Cannot read channel training: content type "text\/csv; label_size=2; label_size=1" is not supported: its parameters are malformed/,
    },
    {
      what: "malformed hyperparameters.json",
      setup: (d) => d.write("input/config/hyperparameters.json", "{ not json"),
      message: /^Cannot parse .*hyperparameters\.json: /,
    },
  ];
  for (const c of cases) {
    it(`writes the failure file and exits non-zero for ${c.what}`, async () => {
      const d = await irisDir();
      await c.setup(d);
      const r = await train(d);
      assert.equal(r.code, c.code ?? 1, `exit code; stderr: ${r.stderr}`);
      const text = await failure(d);
      assert.match(text, c.message);
      assert.equal(existsSync(d.file("model/xgboost-model")), false, "no model on failure");
    });
  }

  it("an unreadable data directory fails with the reason", async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: a file in place of the channel directory is the unreadable case here
      const d = await irisDir();
      await rm(d.file("input/data/training"), { recursive: true });
      await d.write("input/data/training", "not a directory");
      const r = await train(d);
      assert.equal(r.code, 1);
      assert.match(await failure(d), /^Cannot read channel training directory .*ENOTDIR/);
      return;
    }
    const d = await irisDir();
    await chmod(d.file("input/data/training/iris.csv"), 0o000);
    const r = await train(d);
    assert.equal(r.code, 1);
    assert.match(await failure(d), /EACCES/);
  });
});

describe("train and SIGTERM", () => {
  async function bigJob(saveOnTermination: boolean): Promise<MlDir> {
    const d = await irisDir();
    // enough rows that a round takes a while, many rounds
    const rows: string[] = [];
    for (let i = 0; i < 20000; i++)
      rows.push(`${i % 2},${(i * 7) % 13},${Math.sin(i)},${Math.cos(i * 3)},${i % 5}`);
    await d.write("input/data/training/iris.csv", `${rows.join("\n")}\n`);
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        num_round: "100000",
        objective: "binary:logistic",
        max_depth: "8",
        save_model_on_termination: String(saveOnTermination),
      }),
    );
    return d;
  }

  it("stops at the next round, writes the reason and exits 143", async () => {
    const d = await bigJob(false);
    const stop = sigtermAfter("[2]");
    const r = await train(d, { onStdout: stop.onStdout });
    assert.ok(stop.sent);
    assert.equal(r.code, 143, r.stderr);
    assert.match(
      await failure(d),
      /^Training stopped by SIGTERM after \d+ of 100000 rounds; no model was saved/,
    );
    assert.equal(existsSync(d.file("model/xgboost-model")), false);
  });

  it("keeps the rounds done and exits 0 with save_model_on_termination=true", async () => {
    const d = await bigJob(true);
    const stop = sigtermAfter("[2]");
    const r = await train(d, { onStdout: stop.onStdout });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(d.file("output/failure")), false);
    const booster = await Booster.fromFile(d.file("model/xgboost-model"));
    assert.ok(booster.boostedRounds >= 3);
    booster.dispose();
  });
});

describe("train on several hosts", () => {
  it("trains across the hosts of an unsorted resourceconfig.json; only the first host writes a model", async () => {
    const ports = [await freePort(), await freePort()];
    const env = {
      SAGEBREW_HOST_ADDRESSES: "algo-1=127.0.0.1,algo-2=127.0.0.1",
      SAGEBREW_RENDEZVOUS_PORT: String(ports[0]),
      SAGEBREW_TRACKER_PORT: String(ports[1]),
      SAGEBREW_HOSTS_WAIT_SECONDS: "120",
      OMP_WAIT_POLICY: "passive",
    };
    const hosts = await Promise.all(
      ["algo-1", "algo-2"].map(async (host) => {
        const d = await irisDir();
        await d.write(
          "input/config/resourceconfig.json",
          JSON.stringify({ current_host: host, hosts: ["algo-2", "algo-1"], network_interface_name: "eth0" }),
        );
        return d;
      }),
    );
    const [one, two] = await Promise.all(
      hosts.map((d) => run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root, ...env } })),
    );
    assert.equal(one!.code, 0, one!.stderr);
    assert.equal(two!.code, 0, two!.stderr);
    assert.ok(existsSync(hosts[0]!.file("model/xgboost-model")));
    assert.equal(existsSync(hosts[1]!.file("model/xgboost-model")), false);
    assert.match(one!.stderr, /training on 2 hosts \(algo-1, algo-2\) as rank 0; this host writes the model/);
    assert.match(two!.stderr, /no model written on this host: the first training host writes the model/);
    // Both hosts print the same metric lines: XGBoost's metrics cover both hosts' rows.
    assert.equal(/^\[19\].*$/m.exec(one!.stdout)?.[0], /^\[19\].*$/m.exec(two!.stdout)?.[0]);
  });
});

describe("train input modes and weights", () => {
  it("reads FastFile channels as File channels", async () => {
    const d = await irisDir();
    await d.write(
      "input/config/inputdataconfig.json",
      JSON.stringify({ training: { ContentType: "text/csv", TrainingInputMode: "FastFile" } }),
    );
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(d.file("model/xgboost-model")));
  });

  it("uses the weight column with csv_weights=1: weights of 1 give the unweighted model, weights of 2 do not", async () => {
    const csv = await readFile(IRIS_CSV, "utf8");
    const withWeight = (w: string) =>
      `${csv
        .trim()
        .split("\n")
        .map((line) => {
          const [label, ...rest] = line.split(",");
          return [label, w, ...rest].join(",");
        })
        .join("\n")}\n`;
    const hp = { objective: "multi:softprob", num_class: "3", num_round: "5" };
    const data = parseCsv(await readFile(IRIS_CSV), { source: "iris.csv", label: true });
    if (data.features.kind !== "dense") return;
    const features = data.features;
    const predictions = async (weight?: string): Promise<number[]> => {
      const d = await irisDir();
      if (weight) await d.write("input/data/training/iris.csv", withWeight(weight));
      await d.write(
        "input/config/hyperparameters.json",
        JSON.stringify(weight ? { ...hp, csv_weights: "1" } : hp),
      );
      const r = await train(d);
      assert.equal(r.code, 0, r.stderr);
      const b = await Booster.fromFile(d.file("model/xgboost-model"));
      const p = Array.from(b.predictDense(features).values);
      b.dispose();
      return p;
    };
    const plain = await predictions();
    assert.deepEqual(await predictions("1"), plain);
    const doubled = await predictions("2");
    assert.ok(
      doubled.some((v, i) => v !== plain[i]),
      "the weight column is used as weights",
    );
  });

  it("rejects a negative weight naming the line", async () => {
    const d = await irisDir();
    await d.write("input/data/training/iris.csv", "setosa,1,5.1,3.5,1.4,0.2\nsetosa,-1,4.9,3,1.4,0.2\n");
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        objective: "multi:softprob",
        num_class: "1",
        num_round: "2",
        csv_weights: "1",
      }).replace('"1"', '"2"'),
    );
    const r = await train(d);
    assert.equal(r.code, 1);
    assert.match(
      await failure(d),
      /^Cannot parse CSV training\/iris\.csv line 2 column 2: weight "-1" is not a finite number >= 0/,
    );
  });
});
