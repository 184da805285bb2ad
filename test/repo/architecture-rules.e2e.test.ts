/**
 * The architecture rules of .dependency-cruiser.cjs fire: the real config, copied byte for byte
 * into a temporary tree shaped like the repository, is run by dependency-cruiser over small files
 * that break each rule once (and over the allowed cases beside them), and exactly the breaking
 * imports are reported. `npm run lint` shows the repository itself keeps them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const depcruise = join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");

const RT = "packages/runtime/src";
const CLI = "packages/cli/src";

/** path → source; every file exports something so that imports resolve to real modules. */
const FIXTURE: Record<string, string> = {
  // codecs/ has no index.ts: its modules are imported one by one, its `_` files stay inside.
  [`${RT}/codecs/_number.ts`]: "export const n = 1;\n",
  [`${RT}/codecs/csv.ts`]: 'import { n } from "./_number.js";\nexport const csv = n;\n',
  // Parquet loads on demand: a static import of the Parquet codec breaks that, a dynamic one keeps it
  [`${RT}/codecs/parquet.ts`]: "export const parquet = 1;\n",
  [`${RT}/codecs/builtin.ts`]: 'import { parquet } from "./parquet.js";\nexport const all = [parquet];\n',
  [`${RT}/codecs/lazy.ts`]: 'export const load = () => import("./parquet.js");\n',
  // serving/ has an index.ts: outside serving/, only that.
  [`${RT}/serving/_router.ts`]: "export const router = 1;\n",
  [`${RT}/serving/app.ts`]: 'import { router } from "./_router.js";\nexport const app = router;\n',
  [`${RT}/serving/index.ts`]: 'export { app } from "./app.js";\n',
  // a folder with an index.ts that no rule names: picked up from the tree
  [`${RT}/newfeature/index.ts`]: 'export { impl } from "./impl.js";\n',
  [`${RT}/newfeature/impl.ts`]: "export const impl = 1;\n",
  // a subfolder's `_` file is private to the subfolder, not to its parent
  [`${RT}/algorithms/mine/_model.ts`]: "export const model = 1;\n",
  [`${RT}/algorithms/mine/index.ts`]: 'export { model } from "./_model.js";\n',
  [`${RT}/algorithms/registry.ts`]:
    'import { model } from "./mine/_model.js";\nexport const all = [model];\n',
  [`${RT}/training/run.ts`]: [
    'import { csv } from "../codecs/csv.js";', // allowed: codecs/ has no index
    'import { n } from "../codecs/_number.js";', // underscore-files-are-private
    'import { app } from "../serving/index.js";', // allowed
    'import { router } from "../serving/_router.js";', // both rules
    'import { impl } from "../newfeature/impl.js";', // index-is-the-public-face
    "export const run = [csv, n, app, router, impl];",
    "",
  ].join("\n"),
  [`${RT}/training/pipe.ts`]:
    'import type { app } from "../serving/app.js";\nexport type Pipe = typeof app;\n',
  // bin/ is the composition root: it may name the module it needs
  [`${RT}/bin/serve-main.ts`]: 'import { app } from "../serving/app.js";\nexport const main = app;\n',
  // the CLI: a command's dynamic import() may name one module; static and type-only imports may not
  [`${CLI}/sagemaker/deploy.ts`]: "export const deploy = 1;\nexport type Result = number;\n",
  [`${CLI}/sagemaker/index.ts`]: 'export { deploy, type Result } from "./deploy.js";\n',
  [`${CLI}/commands/deploy.ts`]:
    'export async function run() {\n  const { deploy } = await import("../sagemaker/deploy.js");\n  return deploy;\n}\n',
  [`${CLI}/commands/predict.ts`]:
    'import type { Result } from "../sagemaker/deploy.js";\nexport const r: Result = 1;\n',
  [`${CLI}/commands/index.ts`]:
    'export { run } from "./deploy.js";\nexport { r } from "./predict.js";\nexport * from "../sagemaker/index.js";\n',
  // the generated API table loads only in the commands that talk to AWS: by dynamic import()
  [`${CLI}/api/index.ts`]: "export const SAGEMAKER = {};\n",
  [`${CLI}/commands/ls.ts`]: 'import { SAGEMAKER } from "../api/index.js";\nexport const api = SAGEMAKER;\n',
  [`${CLI}/commands/local.ts`]: 'export const load = () => import("../api/index.js");\n',
  // sagebrew local types its handlers with the SDK's own types, and loads no SDK code for them
  [`${CLI}/local/sagemaker/ops-typed.ts`]: [
    'import type { CreateModelInput } from "@aws-sdk/client-sagemaker";',
    "export const typed = (body: CreateModelInput) => body.ModelName;",
    "",
  ].join("\n"),
  [`${CLI}/local/sagemaker/ops-loaded.ts`]: [
    'import { SageMakerClient } from "@aws-sdk/client-sagemaker";',
    "export const loaded = SageMakerClient;",
    "",
  ].join("\n"),
  [`${CLI}/local/sagemaker/storage/_s3.ts`]: 'export const s3 = () => import("@aws-sdk/client-s3");\n',
  // sagebrew local: engines see resources only as types and never import the wire; request
  // handlers never reach engines, but the runtime API reaches their faces
  [`${CLI}/local/sagemaker/resources/index.ts`]:
    'export type Event = { type: "stopped" };\nexport const machine = (e: Event) => e;\n',
  [`${CLI}/local/sagemaker/protocol/index.ts`]: "export const validation = 1;\n",
  [`${CLI}/local/sagemaker/engines/endpoints/manager.ts`]: "export const lookup = 1;\n",
  [`${CLI}/local/sagemaker/engines/endpoints/index.ts`]: 'export { lookup } from "./manager.js";\n',
  [`${CLI}/local/sagemaker/engines/training/index.ts`]: [
    'import type { Event } from "../../resources/index.js";', // allowed: a type
    'import { machine } from "../../resources/index.js";', // local-engines-see-resources-as-types
    'import { validation } from "../../protocol/index.js";', // local-engines-never-import-handlers
    "export const run = (e: Event) => [machine(e), validation];",
    "",
  ].join("\n"),
  [`${CLI}/local/sagemaker/resources/training-job.ts`]: [
    'import type { lookup } from "../engines/endpoints/index.js";', // local-handlers-never-reach-engines
    "export const ops = (x: typeof lookup) => x;",
    "",
  ].join("\n"),
  [`${CLI}/local/sagemaker/runtime/invoke.ts`]: [
    'import { lookup } from "../engines/endpoints/index.js";', // allowed: the runtime API proxies
    'import { lookup as inner } from "../engines/endpoints/manager.js";', // index-is-the-public-face
    "export const invoke = [lookup, inner];",
    "",
  ].join("\n"),
  // a stand-in for the SDK package, so that imports of it resolve as in the repository
  "node_modules/@aws-sdk/client-sagemaker/package.json": JSON.stringify({
    name: "@aws-sdk/client-sagemaker",
    version: "0.0.0",
    main: "index.js",
    types: "index.d.ts",
  }),
  "node_modules/@aws-sdk/client-sagemaker/index.js": "exports.SageMakerClient = class {};\n",
  "node_modules/@aws-sdk/client-sagemaker/index.d.ts":
    "export declare class SageMakerClient {}\nexport interface CreateModelInput { ModelName?: string }\n",
};

interface Violation {
  rule: string;
  from: string;
  to: string;
}

describe("architecture rules (.dependency-cruiser.cjs)", () => {
  let dir: string;
  let errors: Violation[];
  let status: number | null;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sagebrew-depcruise-"));
    copyFileSync(join(root, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true },
        include: ["packages/*/src"],
      }),
    );
    for (const [path, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    // as `npm run lint` runs it (the `err` reporter, whose exit code is the number of errors)
    const res = spawnSync(process.execPath, [depcruise, "packages", "--config", ".dependency-cruiser.cjs"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
    });
    status = res.status;
    errors = [...res.stdout.matchAll(/^\s*error ([\w-]+): (\S+) → (\S+)$/gm)].map((m) => ({
      rule: m[1]!,
      from: m[2]!,
      to: m[3]!,
    }));
    assert.ok(errors.length > 0, `dependency-cruiser reported nothing: ${res.stdout}${res.stderr}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const found = (rule: string) =>
    errors
      .filter((v) => v.rule === rule)
      .map((v) => `${v.from} -> ${v.to}`)
      .sort();

  it("fails the run when a rule is broken", () => {
    assert.equal(status, errors.length);
  });

  it("underscore-files-are-private: only the file's own folder imports a `_` file", () => {
    assert.deepEqual(found("underscore-files-are-private"), [
      `${RT}/algorithms/registry.ts -> ${RT}/algorithms/mine/_model.ts`,
      `${RT}/training/run.ts -> ${RT}/codecs/_number.ts`,
      `${RT}/training/run.ts -> ${RT}/serving/_router.ts`,
    ]);
  });

  it("parquet-loads-on-demand: only a dynamic import() reaches the Parquet codec outside training", () => {
    assert.deepEqual(found("parquet-loads-on-demand"), [
      `${RT}/codecs/builtin.ts -> ${RT}/codecs/parquet.ts`,
    ]);
  });

  it("cli-commands-load-tooling-lazily: a command reaches the API table only by dynamic import()", () => {
    assert.deepEqual(found("cli-commands-load-tooling-lazily"), [
      `${CLI}/commands/index.ts -> ${CLI}/sagemaker/index.ts`,
      `${CLI}/commands/ls.ts -> ${CLI}/api/index.ts`,
    ]);
  });

  it("local-sagemaker-loads-aws-lazily: `import type` of the SDK is allowed, a value import is not", () => {
    assert.deepEqual(found("local-sagemaker-loads-aws-lazily"), [
      `${CLI}/local/sagemaker/ops-loaded.ts -> node_modules/@aws-sdk/client-sagemaker/index.js`,
    ]);
  });

  it("local-engines-see-resources-as-types: an engine's `import type` of resources/ passes, a value import does not", () => {
    assert.deepEqual(found("local-engines-see-resources-as-types"), [
      `${CLI}/local/sagemaker/engines/training/index.ts -> ${CLI}/local/sagemaker/resources/index.ts`,
    ]);
  });

  it("local-engines-never-import-handlers: an engine importing the wire is refused", () => {
    assert.deepEqual(found("local-engines-never-import-handlers"), [
      `${CLI}/local/sagemaker/engines/training/index.ts -> ${CLI}/local/sagemaker/protocol/index.ts`,
    ]);
  });

  it("local-handlers-never-reach-engines: a resource importing an engine (even a type) is refused; the runtime API is not held to it", () => {
    assert.deepEqual(found("local-handlers-never-reach-engines"), [
      `${CLI}/local/sagemaker/resources/training-job.ts -> ${CLI}/local/sagemaker/engines/endpoints/index.ts`,
    ]);
  });

  it("index-is-the-public-face: outside a folder with an index.ts, only the index (bin/ and CLI dynamic imports excepted)", () => {
    assert.deepEqual(found("index-is-the-public-face"), [
      `${CLI}/commands/predict.ts -> ${CLI}/sagemaker/deploy.ts`,
      `${CLI}/local/sagemaker/runtime/invoke.ts -> ${CLI}/local/sagemaker/engines/endpoints/manager.ts`,
      `${RT}/algorithms/registry.ts -> ${RT}/algorithms/mine/_model.ts`,
      `${RT}/training/pipe.ts -> ${RT}/serving/app.ts`,
      `${RT}/training/run.ts -> ${RT}/newfeature/impl.ts`,
      `${RT}/training/run.ts -> ${RT}/serving/_router.ts`,
    ]);
  });
});
