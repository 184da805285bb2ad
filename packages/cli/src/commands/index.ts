/**
 * Every sub-command, in the order `sagebrew --help` lists them. Add new commands here.
 *
 * The table holds names and summaries only; a command's module (its help, options, code and what
 * they import) is loaded when that command runs, so that `sagebrew --version`, `--help` and each
 * command start without loading the other commands.
 */
import type { Command, CommandEntry } from "./types.js";

export type { Command, CommandEntry, CommandIo } from "./types.js";

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "train",
    summary:
      "Train against a local /opt/ml-shaped directory (no Docker), or on SageMaker (--instance-type ml.*).",
    load: async () => (await import("./train.js")).trainCommand,
  },
  {
    name: "tune",
    summary:
      "Tune hyperparameters as a SageMaker tuning job (Bayesian, Random, Grid, Hyperband), here or on SageMaker (--instance-type ml.*).",
    load: async () => (await import("./tune.js")).tuneCommand,
  },
  {
    name: "init",
    summary: "Scaffold a container project (Dockerfile, local_test/ shaped like /opt/ml, payloads).",
    load: async () => (await import("./init.js")).initCommand,
  },
  {
    name: "build",
    summary: "Build the container image (Docker or Podman) with the runtime's production dependencies.",
    load: async () => (await import("./build.js")).buildCommand,
  },
  {
    name: "push",
    summary: "Push an image to Amazon ECR (or --registry) as a Docker v2 schema 2 manifest.",
    load: async () => (await import("./push.js")).pushCommand,
  },
  {
    name: "doctor",
    summary:
      "Preflight checks of a project or image (entrypoint, line endings, port, /ping, arch, manifest).",
    load: async () => (await import("./doctor.js")).doctorCommand,
  },
  {
    name: "serve",
    summary: "Serve a local /opt/ml-shaped directory like the container's serve (no Docker).",
    load: async () => (await import("./serve.js")).serveCommand,
  },
  {
    name: "predict",
    summary: "POST a payload file to a server's /invocations; print the answer, status and time.",
    load: async () => (await import("./predict.js")).predictCommand,
  },
  {
    name: "transform",
    summary:
      "Run SageMaker Batch Transform locally against the real serve, or on SageMaker (--instance-type ml.*).",
    load: async () => (await import("./transform.js")).transformCommand,
  },
  {
    name: "deploy",
    summary: "Deploy a model (local dir, s3:// or training job) to a SageMaker endpoint; create or update.",
    load: async () => (await import("./deploy.js")).deployCommand,
  },
  {
    name: "logs",
    summary: "Print (or --follow) the CloudWatch logs of a SageMaker job or endpoint.",
    load: async () => (await import("./logs.js")).logsCommand,
  },
  {
    name: "ls",
    summary: "List the SageMaker endpoints, jobs and models that sagebrew created.",
    load: async () => (await import("./ls.js")).lsCommand,
  },
  {
    name: "delete",
    summary: "Delete a SageMaker endpoint with its config and model (or stop a running job).",
    load: async () => (await import("./delete.js")).deleteCommand,
  },
  {
    name: "local",
    summary: "Serve SageMaker's API locally (control plane, runtime, logs), running real jobs and endpoints.",
    load: async () => (await import("./local.js")).localCommand,
  },
];

/** Every command, loaded (their `--help` texts, for the generated reference and tests). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}
