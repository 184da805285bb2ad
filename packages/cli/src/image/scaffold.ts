/**
 * `sagebrew init`: the files of a new container project, shaped like `examples/iris-xgboost`:
 * Dockerfile, `local_test/test_dir/` laid out like /opt/ml, payloads, and optionally a handler.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { IRIS_CSV } from "./_iris.js";
import { renderDockerfile } from "./dockerfile.js";

/** Options of `scaffoldProject`. */
export interface ScaffoldOptions {
  /** Add `handler.mjs` (a custom model server) instead of relying on the built-in XGBoost one. Default false. */
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

const HANDLER = `// A custom model server for sagebrew's \`serve\`: SAGEBREW_HANDLER points here (see the Dockerfile).
// Hooks: load(ctx) once, then transform(model, body, ctx) per request (or decode/predict/encode).
// Types: import("@sagebrew/runtime").ModelHandler. This file imports nothing, so it runs as-is.
import { readFile } from "node:fs/promises";

/** @type {import("@sagebrew/runtime").ModelHandler<{ classes: string[]; weights: number[][]; bias: number[] }>} */
export default {
  name: "linear-classifier",
  contentTypes: ["text/csv"],
  accepts: ["text/csv"],
  async load({ modelDir }) {
    return JSON.parse(await readFile(\`\${modelDir}/weights.json\`, "utf8"));
  },
  transform(model, body) {
    const rows = new TextDecoder().decode(body).trim().split(/\\r?\\n/).filter(Boolean);
    const out = rows.map((line) => {
      const x = line.split(",").map(Number);
      const scores = model.weights.map((w, k) => w.reduce((s, wi, i) => s + wi * (x[i] ?? 0), model.bias[k] ?? 0));
      return model.classes[scores.indexOf(Math.max(...scores))];
    });
    return \`\${out.join("\\n")}\\n\`;
  },
};
`;

const WEIGHTS = `{
  "classes": ["setosa", "versicolor", "virginica"],
  "weights": [[0.42, 0.97, -2.46, -1.07], [0.53, -0.32, -0.2, -0.94], [-0.95, -0.65, 2.66, 2.01]],
  "bias": [0.26, 0.87, -1.13]
}
`;

function readme(name: string, handler: boolean): string {
  return `# ${name}

A SageMaker "bring your own container" project made with \`sagebrew init\`.

\`\`\`sh
sagebrew train local_test/test_dir          # train locally (no Docker): writes local_test/test_dir/model/
sagebrew build -t ${name}:dev               # build the image (Docker or Podman)
sagebrew doctor --image ${name}:dev         # preflight checks before SageMaker sees it
sagebrew push ${name}:dev                   # push to Amazon ECR, prints repo@sha256:…
\`\`\`

- \`local_test/test_dir/\` is shaped like \`/opt/ml\`: \`input/config/hyperparameters.json\` (string
  values, as SageMaker sends them) and \`input/data/training/*.csv\` (label in the first column, no header).
- \`local_test/payload.csv\` is a request body for \`POST /invocations\` (\`text/csv\`).
${handler ? "- `handler.mjs` is the model server (`SAGEBREW_HANDLER` in the Dockerfile); its model is `local_test/test_dir/model/weights.json`.\n" : ""}`;
}

/** The files of a new project, path → content (LF line endings). */
export function scaffoldFiles(name: string, options: ScaffoldOptions = {}): Map<string, string> {
  const files = new Map<string, string>([
    ["Dockerfile", renderDockerfile(options.handler ? { handler: "handler.mjs" } : {})],
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
    files.set("handler.mjs", HANDLER);
    files.set("local_test/test_dir/model/weights.json", WEIGHTS);
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
