/** `sagebrew transform`: SageMaker Batch Transform, locally, against the real `serve` over HTTP. */
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isSagebrewError, SagebrewError } from "@sagebrew/runtime/core";
import { locateModel } from "../local/model-dir.js";
import {
  compileJsonPath,
  type DataProcessing,
  type ProgressEvent,
  parseBatchStrategy,
  parseSplitType,
  recordFormat,
  runTransform,
  signalServes,
} from "../local/transform/index.js";
import { parseCommandArgs } from "./_args.js";
import {
  SAGEMAKER_TRANSFORM_HELP,
  SAGEMAKER_TRANSFORM_OPTIONS,
  transformOnSageMakerCommand,
} from "./_transform-sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew transform <input> --model <dir> --output <dir> [options]

Runs SageMaker Batch Transform's semantics locally: every file under <input> (a file or a
directory; dot-files skipped) is split into records, batched into requests to the real \`serve\`
program (started on a free port with SAGEMAKER_BATCH=true), and the responses are assembled into
<output>/<relative path>.out — written only when the whole file succeeded, records in order.
Job values win over the server's /execution-parameters, which win over the defaults.

Options:
  --model <dir>                    an /opt/ml-shaped dir holding model/, or the model directory itself (holding xgboost-model)
  --output <dir>                   where the .out files go
  --content-type <type>            Content-Type of every request (default: text/csv)
  --accept <type>                  Accept of every request (default: none, the server's default)
  --split-type <t>                 None | Line | RecordIO (default: None)
  --batch-strategy <s>             SingleRecord | MultiRecord (default: /execution-parameters, else SingleRecord)
  --max-payload-mb <n>             request size limit in MB (default: /execution-parameters, else 6)
  --max-concurrent-transforms <n>  requests in flight (default: /execution-parameters, else 1)
  --assemble-with <a>              None | Line (default: None)
  --join-source <j>                None | Input: join each output record to its input record (default: None)
  --input-filter <jsonpath>        JSONPath applied to each input record, e.g. "$[1:]"
  --output-filter <jsonpath>       JSONPath applied to each (joined) output record, e.g. "$[0,-1]"
  --serve <command>                the serve command to start (default: node <@sagebrew/runtime>/bin/serve)
  -h, --help                       show this help

${SAGEMAKER_TRANSFORM_HELP}

Example:
  sagebrew train examples/iris-xgboost/local_test/test_dir
  sagebrew transform examples/iris-xgboost/local_test/payload-3.csv --model examples/iris-xgboost/local_test/test_dir \\
    --output batch-out/ --split-type Line --batch-strategy MultiRecord --assemble-with Line --content-type text/csv
  sagebrew transform examples/iris-xgboost/local_test/payload-3.csv --model-name iris-20260101-120000-000 \\
    --instance-type ml.m5.large --split-type Line --assemble-with Line --download batch-out/
`;

const OPTIONS = {
  model: { type: "string" },
  output: { type: "string" },
  "content-type": { type: "string" },
  accept: { type: "string" },
  "split-type": { type: "string" },
  "batch-strategy": { type: "string" },
  "max-payload-mb": { type: "string" },
  "max-concurrent-transforms": { type: "string" },
  "assemble-with": { type: "string" },
  "join-source": { type: "string" },
  "input-filter": { type: "string" },
  "output-filter": { type: "string" },
  serve: { type: "string" },
  ...SAGEMAKER_TRANSFORM_OPTIONS,
} as const;

function usage(message: string): SagebrewError {
  return new SagebrewError("SB_USAGE", message);
}

function number(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw usage(`--${name} ${v} is not an integer in [0, ${max}]`);
  return n;
}

/** `node <runtime>/bin/serve`, resolved from the installed @sagebrew/runtime. */
function defaultServe(): string[] {
  const pkg = fileURLToPath(import.meta.resolve("@sagebrew/runtime/package.json"));
  const dir = dirname(pkg);
  if (!existsSync(join(dir, "dist", "bin", "serve.js"))) {
    throw new SagebrewError(
      "SB_TRANSFORM",
      `Cannot find the serve program in ${dir}/dist: run \`npm run build\` first`,
    );
  }
  return [process.execPath, join(dir, "bin", "serve")];
}

function progress(io: CommandIo): (e: ProgressEvent) => void {
  const tty = io.stderr.isTTY === true;
  let files = 0;
  let done = 0;
  return (e) => {
    if (e.kind === "start") {
      files = e.files;
      io.stderr.write(
        `serve pid ${e.pid}: ${e.strategy}, MaxPayloadInMB ${e.maxPayloadMb}, MaxConcurrentTransforms ${e.concurrency}; ${files} file(s)\n`,
      );
    } else if (e.kind === "requests" && tty) {
      const width = 30;
      const filled = Math.round((e.done / e.total) * width);
      io.stderr.write(
        `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] file ${done + 1}/${files} ${e.file}: ${e.done}/${e.total} requests`,
      );
    } else if (e.kind === "file") {
      done++;
      if (tty) io.stderr.write("\r\x1b[K");
      io.stderr.write(e.ok ? `ok    ${e.file} (${e.records} records)\n` : `FAIL  ${e.file}: ${e.error}\n`);
    }
  };
}

export const transformCommand: Command = {
  name: "transform",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    const { values: v, positionals } = parsed;
    if (positionals.length !== 1)
      throw usage(`expected one input file or directory, got ${positionals.length}`);
    // Pointed at SageMaker (as the Python SDK's instance_type): a batch transform job.
    if (v["instance-type"] !== undefined || v["model-name"] !== undefined) {
      if (v["instance-type"] === undefined)
        throw usage("--model-name runs on SageMaker: add --instance-type ml.<type>");
      return transformOnSageMakerCommand(positionals[0]!, v, io);
    }
    const sageMakerOnly = Object.keys(SAGEMAKER_TRANSFORM_OPTIONS).find(
      (k) => v[k as keyof typeof v] !== undefined,
    );
    if (sageMakerOnly)
      throw usage(`--${sageMakerOnly} runs on SageMaker: add --model-name and --instance-type ml.<type>`);
    if (!v.model) throw usage("--model is required");
    if (!v.output) throw usage("--output is required");
    const input = resolve(io.cwd, positionals[0]!);
    if (!existsSync(input)) throw usage(`input ${input} does not exist`);
    const output = resolve(io.cwd, v.output);
    if (statSync(output, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw usage(`--output ${output} is a file; give a directory (it is created when missing)`);
    }
    const where = locateModel(resolve(io.cwd, v.model), "--model");
    const splitType = parseSplitType(v["split-type"] ?? "None");
    const assembleWith = v["assemble-with"] ?? "None";
    if (assembleWith !== "None" && assembleWith !== "Line")
      throw usage(`--assemble-with ${assembleWith} is not None or Line`);
    const joinSource = v["join-source"] ?? "None";
    if (joinSource !== "None" && joinSource !== "Input")
      throw usage(`--join-source ${joinSource} is not None or Input`);
    const contentType = v["content-type"] ?? "text/csv";
    const maxPayloadMb = number("max-payload-mb", v["max-payload-mb"], 100);
    const maxConcurrent = number("max-concurrent-transforms", v["max-concurrent-transforms"], 1000);
    if (maxPayloadMb === 0) throw usage("--max-payload-mb 0 (chunked streaming) is not supported locally");
    if ((maxPayloadMb ?? 0) * (maxConcurrent ?? 0) > 100) {
      throw usage("MaxConcurrentTransforms × MaxPayloadInMB must not exceed 100");
    }
    let dataProcessing: DataProcessing | undefined;
    if (v["input-filter"] || v["output-filter"] || joinSource === "Input") {
      const inputFormat = recordFormat(contentType);
      const outputFormat = recordFormat(v.accept ?? contentType);
      if (!inputFormat || !outputFormat) {
        throw usage(
          "InputFilter, OutputFilter and JoinSource need CSV or JSON (Lines) content and accept types",
        );
      }
      if (splitType !== "Line")
        throw usage("InputFilter, OutputFilter and JoinSource=Input need --split-type Line");
      dataProcessing = {
        joinSource,
        inputFormat,
        outputFormat,
        ...(v["input-filter"] ? { inputFilter: compileJsonPath(v["input-filter"]) } : {}),
        ...(v["output-filter"] ? { outputFilter: compileJsonPath(v["output-filter"]) } : {}),
      };
    }
    let baseDir = where.baseDir;
    let tmpBase: string | undefined;
    if (!where.mlShaped) {
      // serve reads <base>/model: a temporary base links to the model directory.
      tmpBase = await mkdtemp(join(tmpdir(), "sagebrew-transform-"));
      await symlink(where.modelDir, join(tmpBase, "model"));
      baseDir = tmpBase;
    }
    // Ctrl-C or SIGTERM: serve, in a process group of its own, no longer gets the terminal's
    // signal, so it is passed on; the requests in flight then fail and the job stops there.
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      controller.abort();
      signalServes(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const summary = await runTransform({
        signal: controller.signal,
        inputPath: input,
        outputDir: output,
        baseDir,
        serveCommand: v.serve ? v.serve.split(" ").filter(Boolean) : defaultServe(),
        contentType,
        ...(v.accept ? { accept: v.accept } : {}),
        splitType,
        assembleWith,
        ...(v["batch-strategy"] ? { batchStrategy: parseBatchStrategy(v["batch-strategy"]) } : {}),
        ...(maxPayloadMb !== undefined ? { maxPayloadMb } : {}),
        ...(maxConcurrent ? { maxConcurrentTransforms: maxConcurrent } : {}),
        ...(dataProcessing ? { dataProcessing } : {}),
        env: io.env,
        onProgress: progress(io),
      });
      const rate = summary.seconds > 0 ? Math.round(summary.records / summary.seconds) : summary.records;
      io.stdout.write(
        `Transformed ${summary.succeeded} of ${summary.files} file(s): ${summary.records} records in ${summary.requests} requests, ` +
          `${summary.seconds.toFixed(1)} s (${rate} records/s)\n`,
      );
      for (const f of summary.failed) io.stdout.write(`  failed: ${f.file}: ${f.error}\n`);
      return summary.failed.length === 0 ? 0 : 1;
    } catch (e) {
      // Messages name the user's model directory, not the temporary link to it.
      if (tmpBase && isSagebrewError(e)) {
        throw new SagebrewError(e.code, e.message.replaceAll(join(tmpBase, "model"), where.modelDir), {
          cause: e,
        });
      }
      throw e;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (tmpBase) await rm(tmpBase, { recursive: true, force: true });
    }
  },
};
