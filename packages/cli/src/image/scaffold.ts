/**
 * `sagebrew init`: the files of a new container project, shaped like `examples/iris-xgboost`:
 * Dockerfile, `local_test/test_dir/` laid out like /opt/ml, payloads, and optionally the project's
 * own algorithm and handler, declared in its `package.json`.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { IRIS_CSV } from "./_iris.js";
import { renderDockerfile } from "./dockerfile.js";

/** Options of `scaffoldProject`. */
export interface ScaffoldOptions {
  /** The project's own model (`algorithm.mjs` trains it, `handler.mjs` serves it) instead of the built-in XGBoost. Default false. */
  handler?: boolean;
  /** Write into a non-empty directory, overwriting files of the same names. Default false. */
  force?: boolean;
}

const HYPERPARAMETERS = `{
  "objective": "multi:softprob",
  "num_class": "3",
  "num_round": "20",
  "max_depth": "3",
  "eta": "0.3",
  "eval_metric": "mlogloss"
}
`;

const INPUT_DATA_CONFIG = `{
  "training": { "ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None" }
}
`;

const RESOURCE_CONFIG = `{ "current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0" }
`;

/** The project's declaration of its own code, read by `sagebrew train`/`serve` and by the image. */
function packageJson(name: string): string {
  const doc = {
    name,
    private: true,
    type: "module",
    sagebrew: { algorithm: "./algorithm.mjs", handler: "./handler.mjs" },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const ALGORITHM = `// The training algorithm of this project (package.json → "sagebrew": { "algorithm" }), run by
// \`sagebrew train\` here and by the image's \`train\`. sagebrew's runtime does the contract around it:
// reading the job, validating these hyperparameters, the failure file and exit codes, SIGTERM,
// metric lines, writing the model atomically. This file only trains, and imports nothing.
// Types: import("@sagebrew/runtime").AlgorithmDefinition; docs: sagebrew's docs/training.md.

/** @type {import("@sagebrew/runtime").AlgorithmDefinition} */
export default {
  name: "nearest-centroid",
  hyperparameters: {
    declarations: {
      distance: { type: "enum", values: ["euclidean", "manhattan"], default: "euclidean" },
    },
  },
  channels: { train: { required: true, aliases: ["training"], contentTypes: ["text/csv"] } },

  async train(ctx) {
    // CSV rows, the class first: decoded by the runtime into float32 features and class names.
    const data = await ctx.channels.get("train").dataset();
    const { rows, cols, values } = data.features;
    const labels = data.labelStrings ?? Array.from(data.labels ?? [], String);
    const classes = [...new Set(labels)].sort();
    const sums = classes.map(() => new Array(cols).fill(0));
    const counts = classes.map(() => 0);
    for (let r = 0; r < rows; r++) {
      const k = classes.indexOf(labels[r]);
      counts[k]++;
      for (let c = 0; c < cols; c++) sums[k][c] += values[r * cols + c];
    }
    const model = {
      classes,
      centroids: sums.map((s, k) => s.map((v) => v / counts[k])),
      distance: ctx.hyperparameters.distance,
    };
    let right = 0;
    for (let r = 0; r < rows; r++) if (nearest(model, values.subarray(r * cols, (r + 1) * cols)) === labels[r]) right++;
    ctx.report({ round: 0, totalRounds: 1, metrics: [{ set: "train", metric: "accuracy", value: right / rows }] });
    return { model: { "centroids.json": \`\${JSON.stringify(model, null, 2)}\\n\` } };
  },
};

/** The class of the nearest centroid (also in handler.mjs, which serves the model). */
export function nearest(model, row) {
  let best = 0;
  let bestDistance = Infinity;
  model.centroids.forEach((centroid, k) => {
    let d = 0;
    for (let c = 0; c < centroid.length; c++) {
      const diff = row[c] - centroid[c];
      d += model.distance === "manhattan" ? Math.abs(diff) : diff * diff;
    }
    if (d < bestDistance) [best, bestDistance] = [k, d];
  });
  return model.classes[best];
}
`;

const HANDLER = `// The model server of this project (package.json → "sagebrew": { "handler" }), run by
// \`sagebrew serve\` here and by the image's \`serve\`. Hooks: load(ctx) once, then per request the
// default decode (CSV, JSON, JSON Lines … into float32 rows), predict, and the default encode.
// Types: import("@sagebrew/runtime").ModelHandler; docs: sagebrew's docs/serving.md.
import { readFile } from "node:fs/promises";
import { nearest } from "./algorithm.mjs";

/** @type {import("@sagebrew/runtime").ModelHandler<{ classes: string[]; centroids: number[][]; distance: string }>} */
export default {
  name: "nearest-centroid",
  accepts: ["text/csv", "application/json"],
  async load({ modelDir }) {
    return JSON.parse(await readFile(\`\${modelDir}/centroids.json\`, "utf8"));
  },
  predict(model, data) {
    const { rows, cols, values } = data.features;
    const width = model.centroids[0].length;
    if (data.features.kind !== "dense" || cols !== width) {
      throw new Error(\`expected \${width} features per row, got \${cols}\`);
    }
    return Array.from({ length: rows }, (_, r) => nearest(model, values.subarray(r * cols, (r + 1) * cols)));
  },
};
`;

const HANDLER_HYPERPARAMETERS = `{
  "distance": "euclidean"
}
`;

function readme(name: string, handler: boolean): string {
  const what = handler
    ? "its own model in plain JavaScript: `algorithm.mjs` trains it, `handler.mjs` serves it"
    : "SageMaker's XGBoost algorithm, built in";
  return `# ${name}

A SageMaker "bring your own container" project made with \`sagebrew init\`: ${what}.

\`\`\`sh
sagebrew train                              # train locally (no Docker) on local_test/test_dir: writes its model/
sagebrew serve                              # serve that model on 127.0.0.1:8080, as the image would (Ctrl-C stops)
sagebrew predict local_test/payload.csv --content-type text/csv   # in another terminal: setosa
sagebrew build -t ${name}:dev               # build the image (Docker or Podman)
sagebrew doctor . --image ${name}:dev       # preflight checks, serving the trained model in the image (/ping, SIGTERM)
sagebrew push ${name}:dev                   # push to Amazon ECR, prints repo@sha256:…
\`\`\`

- \`local_test/test_dir/\` is shaped like \`/opt/ml\`: \`input/config/hyperparameters.json\` (string
  values, as SageMaker sends them) and \`input/data/training/*.csv\` (label in the first column, no header).
- \`local_test/payload.csv\` is a request body for \`POST /invocations\` (\`text/csv\`).
${
  handler
    ? `- \`package.json\` declares the project's code, \`"sagebrew": { "algorithm": "./algorithm.mjs", "handler": "./handler.mjs" }\`:
  \`sagebrew train\`/\`serve\` here and the image's \`train\`/\`serve\` read it alike. \`algorithm.mjs\` declares
  its hyperparameters and channels and writes \`model/centroids.json\`; \`handler.mjs\` loads it and answers.
`
    : ""
}`;
}

/** The files of a new project, path → content (LF line endings). */
export function scaffoldFiles(name: string, options: ScaffoldOptions = {}): Map<string, string> {
  const files = new Map<string, string>([
    ["Dockerfile", renderDockerfile()],
    [".gitattributes", "# LF everywhere: CRLF scripts fail in Linux containers\n* text=auto eol=lf\n"],
    ["README.md", readme(name, options.handler ?? false)],
    ["local_test/test_dir/input/config/hyperparameters.json", HYPERPARAMETERS],
    ["local_test/test_dir/input/config/inputdataconfig.json", INPUT_DATA_CONFIG],
    ["local_test/test_dir/input/config/resourceconfig.json", RESOURCE_CONFIG],
    ["local_test/test_dir/input/data/training/iris.csv", IRIS_CSV],
    ["local_test/payload.csv", "5.1,3.5,1.4,0.2\n"],
    ["local_test/payload-3.csv", "5.1,3.5,1.4,0.2\n7,3.2,4.7,1.4\n6.3,3.3,6,2.5\n"],
  ]);
  if (options.handler) {
    files.set("package.json", packageJson(name));
    files.set("algorithm.mjs", ALGORITHM);
    files.set("handler.mjs", HANDLER);
    files.set("local_test/test_dir/input/config/hyperparameters.json", HANDLER_HYPERPARAMETERS);
  }
  return files;
}

/**
 * Writes a new project into `dir` (created when missing).
 *
 * @throws SagebrewError SB_USAGE when `dir` is not empty and `force` is not set.
 * @example await scaffoldProject("my-model", { handler: true });
 */
export async function scaffoldProject(dir: string, options: ScaffoldOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0 && !options.force) {
    throw new SagebrewError("SB_USAGE", `Cannot initialize ${dir}: the directory is not empty (use --force)`);
  }
  const name =
    dir
      .split(/[\\/]/)
      .filter(Boolean)
      .pop()
      ?.toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-") || "model";
  const written: string[] = [];
  for (const [rel, content] of scaffoldFiles(name, options)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode: 0o644 });
    written.push(rel);
  }
  return written;
}
