/** Architecture rules: dependencies point inward; the runtime never pulls the AWS SDK or CLI code. */
const { readdirSync } = require("node:fs");
const { join } = require("node:path");

const SOURCE_ROOTS = ["packages/runtime/src", "packages/cli/src"];

/**
 * The folders below each package's src/ that have an index.ts, read from the tree at lint time so
 * that a new folder with an index.ts is held to it without editing this file. The package roots
 * (src/index.ts) are the packages' own faces, held by their package.json `exports`.
 */
function facedFolders(dir = __dirname) {
  const found = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === "testdata" || entry.name === "node_modules") continue;
      const sub = `${rel}/${entry.name}`;
      if (readdirSync(join(dir, sub)).includes("index.ts")) found.push(sub);
      walk(sub);
    }
  };
  for (const root of SOURCE_ROOTS) walk(root);
  return found.sort();
}

const regexEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One rule per folder with an index.ts: from outside the folder, only its index.ts may be imported.
 * Two deliberate exceptions, both about what a program loads rather than what it may use:
 *  - runtime/src/bin/ holds the composition roots: `train` and `serve` name the exact modules they
 *    need (`train` the XGBoost algorithm without its handler, so no serving code loads; `serve` the
 *    handler without the training runtime), where an index would load both halves;
 *  - the CLI's dynamic `import()`s name the one module a command runs (see
 *    cli-commands-load-tooling-lazily), so that `sagebrew deploy` loads deploy.ts and not every
 *    SageMaker flow. Static and type-only imports go through the index like any other.
 * Tests (*.test.ts, excluded below) may reach inside the folder they test.
 * Folders without an index.ts (runtime codecs/, config/, node/; cli local/) are libraries of
 * independent modules, imported one by one so that a light entry (core.ts, the CLI) loads only
 * what it uses — e.g. CSV without Parquet; their private helpers are still `_` files.
 */
function publicFaceRules(folders) {
  return folders.map((folder) => ({
    name: "index-is-the-public-face",
    comment: `Outside ${folder}/, import ${folder}/index.ts, not the files behind it.`,
    severity: "error",
    from: { pathNot: [`^${regexEscape(folder)}/`, "^packages/runtime/src/bin/"] },
    to: {
      path: `^${regexEscape(folder)}/`,
      pathNot: `^${regexEscape(folder)}/index\\.ts$`,
      ...(folder.startsWith("packages/cli/") ? { dependencyTypesNot: ["dynamic-import"] } : {}),
    },
  }));
}

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "pure-core",
      comment: "contract/, codecs/, config/, errors/ and charts/ are pure: no I/O, no FFI, no HTTP.",
      severity: "error",
      from: { path: "^packages/runtime/src/(contract|codecs|config|errors|charts)/" },
      to: {
        path: "^(node:)?(fs|http|https|net|child_process|worker_threads)$|koffi|packages/runtime/src/(xgboost|serving|training|node)/",
      },
    },
    {
      name: "tuning-core-is-pure",
      comment:
        "cli/src/tuning/ is the tuning core: strategies and the tuning job's state machine over plain data, no I/O, no AWS, no processes, so that `sagebrew tune` and `sagebrew local` drive the same machine (each with its own I/O).",
      severity: "error",
      from: { path: "^packages/cli/src/tuning/" },
      to: {
        path: "^(node:)?(fs|fs/promises|http|https|net|child_process|worker_threads|os)$|@aws-sdk|@smithy|^packages/cli/src/(aws|sagemaker|local|commands|image|publish)/|^packages/runtime/src/index\\.ts$",
      },
    },
    {
      name: "training-imports-no-algorithm",
      comment:
        "training/ runs the contract around any algorithm: it imports no algorithm (XGBoost included), no XGBoost binding and no serving code. Algorithms plug in through the training API; the composition roots (bin/, the CLI) pick one.",
      severity: "error",
      from: { path: "^packages/runtime/src/training/" },
      to: { path: "^packages/runtime/src/(algorithms|xgboost|serving|bin)/" },
    },
    {
      name: "parquet-loads-on-demand",
      comment:
        "hyparquet is about a third of the modules the runtime would load, and only training reads Parquet: the Parquet codec imports it on its first decode, the training's Parquet thread and the package's full API (src/index.ts) statically; so `serve` (and `train` on CSV) start without it.",
      severity: "error",
      from: {
        path: "^packages/runtime/src/",
        pathNot:
          "^packages/runtime/src/(index\\.ts|training/_parquet-worker\\.ts|codecs/(parquet|_parquet-guard)\\.ts)$",
      },
      to: {
        path: "^packages/runtime/src/codecs/(parquet|_parquet-guard)\\.ts$|hyparquet",
        dependencyTypesNot: ["dynamic-import", "type-only"],
      },
    },
    {
      name: "runtime-stays-lean",
      comment: "The runtime goes into the container image: no AWS SDK, no CLI code, no dev tooling.",
      severity: "error",
      from: { path: "^packages/runtime/src/" },
      to: { path: "@aws-sdk|@smithy|packages/cli/|typescript|fast-check|tsx" },
    },
    {
      name: "cli-starts-light",
      comment:
        "The CLI imports @sagebrew/runtime/core; the whole runtime (koffi, threads, Parquet) only by dynamic import in the commands that run it, so that `sagebrew transform` starts `serve` sooner.",
      severity: "error",
      from: { path: "^packages/cli/src/" },
      to: { path: "^packages/runtime/src/index\\.ts$", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "cli-commands-load-tooling-lazily",
      comment:
        "Sub-commands import image, registry, AWS, SageMaker, local-SageMaker code and the generated AWS API table by dynamic import, in the commands that use it, so that every command (transform above all) starts without it.",
      severity: "error",
      from: { path: "^packages/cli/src/(commands|main\\.ts|bin\\.ts)" },
      to: {
        path: "^packages/cli/src/(image|publish|aws|sagemaker|local/(sagemaker|s3|sts|services)|api)/",
        dependencyTypesNot: ["dynamic-import", "type-only"],
      },
    },
    {
      name: "local-sagemaker-loads-aws-lazily",
      comment:
        "`sagebrew local` loads the AWS SDK (S3) only when a job names an s3:// URI, and the event-stream codec only when a client streams.",
      severity: "error",
      from: {
        path: "^packages/cli/src/local/sagemaker/",
        pathNot: "^packages/cli/src/local/sagemaker/storage/_s3\\.ts$",
      },
      to: { path: "@aws-sdk|@smithy", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "local-handlers-never-reach-engines",
      comment:
        "sagebrew local's request handlers — the wire (protocol/), the control plane's resources (resources/), CloudWatch Logs (logs/) — and the stores under them (state/, storage/) drive the engines only through the ports resources/context.ts defines, which the composition root (local/sagemaker/index.ts) fills: they import nothing of engines/. The runtime API (runtime/) is the one handler that proxies to the containers, and it reaches the engines through their index.ts only (index-is-the-public-face).",
      severity: "error",
      from: { path: "^packages/cli/src/local/sagemaker/(protocol|resources|logs|state|storage)/" },
      to: { path: "^packages/cli/src/local/sagemaker/(engines|runtime)/" },
    },
    {
      name: "local-engines-never-import-handlers",
      comment:
        "sagebrew local's engines run jobs and endpoints and report what happens to each resource's state machine through its ledger: they never import the wire (protocol/, runtime/), and see resources/, logs/ and state/ only as types (the documents, the events, the ledger port, the log store they are handed), so that no engine can run an operation or write a status itself.",
      severity: "error",
      from: { path: "^packages/cli/src/local/sagemaker/engines/" },
      to: { path: "^packages/cli/src/local/sagemaker/(protocol|runtime)/" },
    },
    {
      name: "local-engines-see-resources-as-types",
      comment:
        "See local-engines-never-import-handlers: engines import resources/, logs/ and state/ with `import type` only.",
      severity: "error",
      from: { path: "^packages/cli/src/local/sagemaker/engines/" },
      to: {
        path: "^packages/cli/src/local/sagemaker/(resources|logs|state)/",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "local-aws-services-serve-without-the-sdk",
      comment:
        "`sagebrew local`'s S3, STS and its recognition of other services are servers: they load no AWS SDK code (types from it are fine).",
      severity: "error",
      from: { path: "^packages/cli/src/local/(s3|sts|services)/" },
      to: { path: "@aws-sdk|@smithy", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "underscore-files-are-private",
      comment:
        "A module whose file name starts with `_` is private to its folder: only files of the same folder import it (a subfolder or a sibling folder goes through a public module). `$1` is the importing file's folder.",
      severity: "error",
      from: { path: "^(packages/.+)/[^/]+$" },
      to: { path: "^packages/.+/_[^/]+$", pathNot: "^$1/_[^/]+$" },
    },
    ...publicFaceRules(facedFolders()),
    {
      name: "xgboost-pointers-stay-inside",
      comment: "Only the xgboost folder talks to koffi.",
      severity: "error",
      from: { path: "^packages/", pathNot: "^packages/runtime/src/xgboost/" },
      to: { path: "koffi" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(\\.test\\.ts$|/dist/|/testdata/)" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["sagebrew-source", "import", "default"],
    },
  },
};
