/** Architecture rules: dependencies point inward; the runtime never pulls the AWS SDK or CLI code. */
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
      name: "training-imports-no-algorithm",
      comment:
        "training/ runs the contract around any algorithm: it imports no algorithm (XGBoost included), no XGBoost binding and no serving code. Algorithms plug in through the training API; the composition roots (bin/, the CLI) pick one.",
      severity: "error",
      from: { path: "^packages/runtime/src/training/" },
      to: { path: "^packages/runtime/src/(algorithms|xgboost|serving|bin)/" },
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
        "Sub-commands import image, registry, AWS, SageMaker and local-SageMaker code by dynamic import, in the commands that use it, so that every command (transform above all) starts without it.",
      severity: "error",
      from: { path: "^packages/cli/src/(commands|main\\.ts|bin\\.ts)" },
      to: {
        path: "^packages/cli/src/(image|publish|aws|sagemaker|local/sagemaker)/",
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
        pathNot: "^packages/cli/src/local/sagemaker/_s3\\.ts$",
      },
      to: { path: "@aws-sdk|@smithy", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
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
