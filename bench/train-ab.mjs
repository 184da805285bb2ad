// node bench/train-ab.mjs N label=DIR ...: N rounds of interleaved `train` runs of built checkouts on bench/work/mem/opt_ml
// (the training bench's data and hyperparameters), each under /usr/bin/time -v; one JSON line per run (peak RSS, timings, CPU).
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const [n, ...sides] = process.argv.slice(2);
const optMl = new URL("./work/mem/opt_ml", import.meta.url).pathname;
if (!existsSync(`${optMl}/input/data/train/higgs-like.csv`)) {
  mkdirSync(`${optMl}/input/config`, { recursive: true });
  mkdirSync(`${optMl}/input/data/train`, { recursive: true });
  const hp = {
    num_round: "100",
    tree_method: "hist",
    max_depth: "6",
    objective: "binary:logistic",
    nthread: "2",
  };
  writeFileSync(`${optMl}/input/config/hyperparameters.json`, JSON.stringify(hp));
  const channel = { ContentType: "text/csv", TrainingInputMode: "File", RecordWrapperType: "None" };
  writeFileSync(`${optMl}/input/config/inputdataconfig.json`, JSON.stringify({ train: channel }));
  linkSync(
    new URL("./data/higgs-like.csv", import.meta.url).pathname,
    `${optMl}/input/data/train/higgs-like.csv`,
  );
}
for (let i = 0; i < Number(n); i++) {
  const order = i % 2 ? [...sides].reverse() : sides;
  for (const side of order) {
    const [label, dir] = side.split("=");
    rmSync(`${optMl}/model`, { recursive: true, force: true });
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const r = spawnSync("/usr/bin/time", ["-v", process.execPath, `${dir}/packages/runtime/bin/train`], {
      env: { ...process.env, SAGEMAKER_BASE_DIR: optMl },
      encoding: "utf8",
    });
    const out = r.stdout + r.stderr;
    const m = /load ([\d.]+) s, dmatrix ([\d.]+) s, boosting ([\d.]+) s/.exec(out);
    const g = (re) => Number(re.exec(out)?.[1]);
    const row = {
      label,
      i,
      load,
      parse: Number(m?.[1]),
      dmatrix: Number(m?.[2]),
      boost: Number(m?.[3]),
      wall: out.match(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/)?.[1],
      cpu: g(/User time \(seconds\): ([\d.]+)/) + g(/System time \(seconds\): ([\d.]+)/),
      peakMB: g(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
      metric: /final metrics: (.*)/.exec(out)?.[1],
    };
    console.log(JSON.stringify(row));
  }
}
