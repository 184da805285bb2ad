/**
 * Runs the benchmarks and rewrites their sections of bench/RESULTS.md.
 *
 *   npm run bench                              everything (training, then serving)
 *   node --import tsx bench/run.ts training    issue 2 only
 *   node --import tsx bench/run.ts serving     issue 3 only
 *   node --import tsx bench/run.ts parsing     issue 5: parsing into typed arrays (--runs, default 3;
 *                                              --no-big: skip the 1M-row CSV)
 *   node --import tsx bench/run.ts transform   issue 5: batch transform of 1,000,000 rows (--runs, default 5)
 *   node --import tsx bench/run.ts multi-host  issue 13: 2 hosts × 1 thread against 1 host × 2 threads on the
 *                                              1M-row CSV (--runs, default 3)
 *   node --import tsx bench/run.ts serving-models  issue 22: the realistic models of bench/models.ts
 *                                              (--models a,b: some of them; --first S, default 3: the
 *                                              first-seconds window; --serve-runs, --cold-runs, --duration)
 *   node --import tsx bench/run.ts tuning      issue 20: best validation metric after 10, 20, 40 training jobs by
 *                                              Random, Bayesian and Hyperband on two data sets (--seeds, default
 *                                              10), and a 20-job tuning job's wall time two at a time against one
 *                                              after another (--runs pairs, default 2)
 *   node --import tsx bench/run.ts local       issue 11: `sagebrew local` — InvokeEndpoint through it against
 *                                              the container straight and two proxy floors, CreateEndpoint →
 *                                              InService, CreateTrainingJob → Completed (--runs, default 5;
 *                                              --serve-runs N wrk runs per cell, default 3; --duration);
 *                                              with --baseline DIR: DIR's sagebrew local beside this one's
 *                                              (bench/local-before-after.ts)
 *   node --import tsx bench/run.ts s3          issue 19: one large object PUT and GET through sagebrew local's S3
 *                                              against moto_server's, `cp` and MD5+CRC32 in memory (--runs,
 *                                              default 3; --mib, object size, default 512)
 *   node --import tsx bench/run.ts local-async issue 19: `sagebrew local`'s InvokeEndpointAsync — latency to the answer
 *                                              (file:// and its own S3) and throughput at MaxConcurrentInvocationsPerInstance
 *                                              1 and 4, beside InvokeEndpoint on the same model (--runs, default 3;
 *                                              --samples, default 200; --count, default 400)
 *   node --import tsx bench/run.ts train-cli   issue 19 §4: `sagebrew train --instance-type` against `sagebrew local`,
 *                                              beside the job alone and node's floors (--runs, default 7)
 *   node --import tsx bench/run.ts image-build issue 21: `sagebrew build --engine none` against `docker build`
 *                                              of the iris example, cold and warm, and the image sizes
 *                                              (--runs, default 3; root, dockerd, docker-registry, mmdebstrap)
 *
 * Options: --runs N (training, default 3), --serve-runs N (default 3), --cold-runs N (default 5),
 * --duration S (seconds per wrk cell, default 10), --stacks sagebrew,classic,bare,
 * --baseline DIR (another checkout built with `npm run build`, run interleaved with this one:
 * serving also runs DIR's `serve`; training and transform run DIR's `train` / `sagebrew transform` in
 * place of the Python peer / the classic stack; --baseline-label L names it in the tables; the
 * figures go to their own "…, before and after" sections, leaving the issue sections alone),
 * --no-profile (training, serving, parsing and transform add where sagebrew's time and memory go,
 * unless told not to),
 * --no-build (skip `npm run build`), --no-write (print, leave RESULTS.md alone).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, REPO_DIR } from "./data.js";
import { runImageBuildBench } from "./image-build.js";
import { describeMachine, machineLine, versions } from "./lib/machine.js";
import { writeSection } from "./lib/results.js";
import { writeSubsection } from "./lib/subsection.js";
import { runLocalBench } from "./local.js";
import { runLocalAsyncBench } from "./local-async.js";
import { runLocalBeforeAfter } from "./local-before-after.js";
import { runMultiHostBench } from "./multi-host.js";
import { parsingVersions, runParsing } from "./parsing.js";
import { runS3Bench } from "./s3.js";
import { runServing } from "./serving.js";
import { runServingModels } from "./serving-models.js";
import { renderModel } from "./serving-models-report.js";
import type { StackKey } from "./serving-stacks.js";
import { runTrainCliBench } from "./train-cli.js";
import { runTraining } from "./training.js";
import { runTransformBench } from "./transform.js";
import { runTuningBench } from "./tuning.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`Option ${name} needs a positive number, got ${args[i + 1]}`);
  return v;
};
const positional = args.filter(
  (a, i) =>
    !a.startsWith("--") &&
    !args[i - 1]?.match(
      /^--(runs|serve-runs|cold-runs|duration|stacks|baseline|baseline-label|models|first|mib|samples|count)$/,
    ),
);
const which = positional[0] ?? "all";
if (
  ![
    "all",
    "training",
    "serving",
    "serving-models",
    "parsing",
    "transform",
    "local",
    "local-async",
    "multi-host",
    "image-build",
    "s3",
    "tuning",
    "train-cli",
  ].includes(which)
) {
  console.error(
    `Unknown benchmark ${which}: expected training, serving, serving-models, parsing, transform, local, local-async, multi-host, image-build, s3, tuning, train-cli or nothing (the first two)`,
  );
  process.exit(2);
}
const stacksArg = args.indexOf("--stacks");
const stacks = (
  stacksArg >= 0
    ? (args[stacksArg + 1] ?? "")
    : which === "serving-models"
      ? "sagebrew,native,classic,bare"
      : "sagebrew,classic,bare"
).split(",") as StackKey[];
const modelsArg = args.indexOf("--models");
const models = modelsArg >= 0 ? (args[modelsArg + 1] ?? "").split(",").filter(Boolean) : [];

const baselineArg = args.indexOf("--baseline");
const baselineLabelArg = args.indexOf("--baseline-label");
const baselineDir = baselineArg >= 0 ? (args[baselineArg + 1] ?? "") : undefined;
const baselineLabel = (dflt: string) =>
  baselineDir === undefined
    ? undefined
    : { dir: baselineDir, label: baselineLabelArg >= 0 ? (args[baselineLabelArg + 1] ?? dflt) : dflt };
const baseline = baselineLabel("sagebrew serve (baseline)");
/** With --baseline, a section of its own, so that the issue sections keep their peers' figures. */
const heading = (issue: string, beforeAfter: string) =>
  baselineDir === undefined ? issue : `## ${beforeAfter}, before and after`;

const RESULTS = join(BENCH_DIR, "RESULTS.md");
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);
const shellArg = (a: string) => (/^[\w./:=@,+-]+$/.test(a) ? a : `"${a.replace(/(["\\$`])/g, "\\$1")}"`);
const command = `npm run bench${args.length ? ` -- ${args.map(shellArg).join(" ")}` : ""}`;

if (!flag("--no-build")) {
  log("npm run build");
  execFileSync("npm", ["run", "build"], { cwd: REPO_DIR, stdio: "inherit" });
}
const machine = describeMachine(REPO_DIR);
log(machineLine(machine));

function section(title: string, body: string, notes: string[], vers: string[]): string {
  return [
    `Command: \`${command}\` (this section alone: \`node --import tsx bench/run.ts ${title}\`), ` +
      `run ${new Date().toISOString().slice(0, 16)}Z.`,
    "",
    `Machine: ${machineLine(machine)}.`,
    "",
    `Versions: ${vers.join(", ")}.`,
    "",
    body,
    ...(notes.length ? ["", ...notes.map((n) => `- ${n}`)] : []),
  ].join("\n");
}

if (which === "all" || which === "training") {
  const against = baselineLabel("baseline");
  const r = await runTraining({
    runs: opt("--runs", 3),
    profile: !flag("--no-profile"),
    log,
    ...(against ? { baseline: against } : {}),
  });
  const text = section("training", r.markdown, r.notes, versions("training"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, heading("## Training (issue 2)", "Training"), text);
  log("training done");
}
if (which === "all" || which === "serving") {
  const r = await runServing({
    runs: opt("--serve-runs", 3),
    coldRuns: opt("--cold-runs", 5),
    durationS: opt("--duration", 10),
    stacks,
    ...(baseline ? { baseline } : {}),
    profile: !flag("--no-profile"),
    log,
  });
  const text = section("serving", r.markdown, r.notes, versions("serving"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, heading("## Serving (issue 3)", "Serving"), text);
  log("serving done");
}
if (which === "serving-models") {
  const o = {
    runs: opt("--serve-runs", 3),
    coldRuns: opt("--cold-runs", 5),
    durationS: opt("--duration", 5),
    firstS: opt("--first", 3),
    stacks,
    models,
    ...(baseline ? { baseline } : {}),
    log,
  };
  const results = await runServingModels(o);
  const body = results.map((r) => renderModel(o, r)).join("\n\n");
  const text = section("serving-models", body, [], versions("serving"));
  if (flag("--no-write")) console.log(text);
  else
    writeSection(
      RESULTS,
      heading("## Serving realistic models (issue 22)", "Serving realistic models"),
      text,
    );
  log("serving-models done");
}
if (which === "parsing" || which === "transform") {
  const r =
    which === "parsing"
      ? await runParsing({
          runs: opt("--runs", 3),
          big: !flag("--no-big"),
          profile: !flag("--no-profile"),
          log,
        })
      : await runTransformBench({
          runs: opt("--runs", 5),
          profile: !flag("--no-profile"),
          log,
          ...(baselineDir !== undefined ? { baseline: baselineLabel("baseline")! } : {}),
        });
  const vers = which === "parsing" ? [...versions("training"), ...parsingVersions()] : versions("serving");
  const text = section(which, r.markdown, r.notes, vers);
  const sub = which === "parsing" ? "### Parsing into typed arrays" : "### Batch transform, 1,000,000 rows";
  if (flag("--no-write")) console.log(text);
  else if (baselineDir !== undefined && which === "transform")
    writeSection(RESULTS, heading("", "Batch transform"), text);
  else writeSubsection(RESULTS, "## Parsing and batch transform (issue 5)", sub, text);
  log(`${which} done`);
}
if (which === "local" && baselineDir !== undefined) {
  const r = await runLocalBeforeAfter({
    runs: opt("--runs", 5),
    loadRuns: opt("--serve-runs", 3),
    durationS: opt("--duration", 10),
    baseline: baselineLabel("baseline")!,
    log,
  });
  const text = section("local", r.markdown, r.notes, versions("local"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, heading("", "`sagebrew local`"), text);
  log("local before and after done");
} else if (which === "local") {
  const r = await runLocalBench({
    runs: opt("--runs", 5),
    loadRuns: opt("--serve-runs", 3),
    durationS: opt("--duration", 10),
    profile: !flag("--no-profile"),
    log,
  });
  const text = section("local", r.markdown, r.notes, versions("local"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## `sagebrew local` (issue 11)", text);
  log("local done");
}
if (which === "local-async") {
  const r = await runLocalAsyncBench({
    runs: opt("--runs", 3),
    samples: opt("--samples", 200),
    count: opt("--count", 400),
    log,
  });
  const text = section("local-async", r.markdown, r.notes, versions("local"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## Asynchronous inference on `sagebrew local` (issue 19)", text);
  log("local-async done");
}
if (which === "s3") {
  const r = await runS3Bench({ runs: opt("--runs", 3), mib: opt("--mib", 512), log });
  const text = section("s3", r.markdown, r.notes, versions("local"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## S3 on `sagebrew local` (issue 19)", text);
  log("s3 done");
}
if (which === "train-cli") {
  const r = await runTrainCliBench({ runs: opt("--runs", 7), log });
  const text = section("train-cli", r.markdown, r.notes, versions("local"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## `sagebrew train --instance-type` against `sagebrew local` (issue 19)", text);
  log("train-cli done");
}
if (which === "multi-host") {
  const r = await runMultiHostBench({ runs: opt("--runs", 3), log });
  const text = section("multi-host", r.markdown, r.notes, versions("training"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## Multi-host training (issue 13)", text);
  log("multi-host done");
}
if (which === "tuning") {
  const r = await runTuningBench({ seeds: opt("--seeds", 10), runs: opt("--runs", 2), log });
  const text = section("tuning", r.markdown, r.notes, versions("training"));
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## Hyperparameter tuning (issue 20)", text);
  log("tuning done");
}
if (which === "image-build") {
  const r = await runImageBuildBench({ runs: opt("--runs", 3), log });
  const text = section("image-build", r.markdown, r.notes, [`Node.js ${process.version}`]);
  if (flag("--no-write")) console.log(text);
  else writeSection(RESULTS, "## Image builds without an engine (issue 21)", text);
  log("image-build done");
}
