/** Builds throw-away `/opt/ml`-shaped trees for end-to-end tests. */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const IRIS_DIR = join(REPO, "examples", "iris-xgboost", "local_test", "test_dir");
export const IRIS_CSV = join(IRIS_DIR, "input", "data", "training", "iris.csv");
/**
 * The iris job shaped for SageMaker's built-in XGBoost image: channel `train`, numeric labels,
 * `multi:softmax` (the image reads CSV labels as numbers; docs/compatibility.md).
 */
export const IRIS_BUILTIN_DIR = join(REPO, "examples", "iris-xgboost", "local_test", "builtin_dir");
export const TRAIN_BIN = join(REPO, "packages", "runtime", "bin", "train");
export const SYSTEM_PYTHON = "/usr/bin/python3";

export interface MlDir {
  readonly root: string;
  file(rel: string): string;
  write(rel: string, content: string | Uint8Array): Promise<void>;
  remove(): Promise<void>;
}

/** A temp dir holding a copy of the iris test dir (or an empty tree). */
export async function makeMlDir(options: { from?: string } = {}): Promise<MlDir> {
  const root = await mkdtemp(join(tmpdir(), "sagebrew-ml-"));
  if (options.from) await cp(options.from, root, { recursive: true });
  else await mkdir(join(root, "input", "config"), { recursive: true });
  return {
    root,
    file: (rel) => join(root, rel),
    async write(rel, content) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), content);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
