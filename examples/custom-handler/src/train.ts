/**
 * `train` for the nearest-centroid model, honouring SageMaker's training contract: reads every
 * CSV file of the `train` channel (label first, no header) from /opt/ml/input/data/train, writes
 * /opt/ml/model/centroids.json, and on failure writes the reason to /opt/ml/output/failure and
 * exits 1. `SAGEMAKER_BASE_DIR` moves the /opt/ml root (for local runs and tests).
 */
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FAILURE_REASON_MAX_CHARS, mlPaths, parseCsv, SagebrewError } from "@sagebrew/runtime";
import { fit } from "./centroids.js";

const paths = mlPaths(process.env.SAGEMAKER_BASE_DIR ?? "/opt/ml");

async function train(): Promise<void> {
  const channel = join(paths.dataDir, "train");
  let files: string[];
  try {
    files = (await readdir(channel)).filter((f) => !f.startsWith(".")).sort();
  } catch {
    throw new SagebrewError("SB_CHANNEL_MISSING", `Cannot read channel train: ${channel} does not exist`);
  }
  const rows: Float32Array[] = [];
  const labels: string[] = [];
  for (const file of files) {
    const data = parseCsv(await readFile(join(channel, file)), { source: file, label: true });
    const { features } = data;
    if (features.kind !== "dense") continue;
    for (let r = 0; r < features.rows; r++) {
      rows.push(features.values.slice(r * features.cols, (r + 1) * features.cols));
      labels.push(data.labelStrings?.[r] ?? String(data.labels?.[r]));
    }
  }
  if (rows.length === 0) {
    throw new SagebrewError("SB_CHANNEL_EMPTY", `Cannot train: channel train in ${channel} holds no rows`);
  }
  const model = fit(rows, labels);
  await mkdir(paths.modelDir, { recursive: true });
  const target = join(paths.modelDir, "centroids.json");
  await writeFile(`${target}.tmp`, `${JSON.stringify(model, null, 2)}\n`);
  await rename(`${target}.tmp`, target);
  console.log(
    `trained ${model.classes.length} centroids on ${rows.length} rows: ${model.classes.join(", ")}`,
  );
}

try {
  await train();
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  console.error(message);
  await mkdir(paths.outputDir, { recursive: true });
  await writeFile(paths.failureFile, message.slice(0, FAILURE_REASON_MAX_CHARS));
  process.exit(1);
}
