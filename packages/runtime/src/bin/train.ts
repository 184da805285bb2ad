/**
 * The container's `train` program. Root `/opt/ml` (or `SAGEMAKER_BASE_DIR`). Prints a metric line
 * per round on stdout in XGBoost's format — `[3]\ttrain-mlogloss:0.08\tvalidation-mlogloss:0.12` —
 * so SageMaker's metric regexes work, and a summary at the end. Exit codes: 0 ok, 1 bad input or
 * configuration, 2 algorithm/platform fault (or a failure file that cannot be written), 143
 * stopped by SIGTERM.
 */
import { DEFAULT_ML_ROOT, ENV } from "../contract/index.js";
import { EXIT, errorLine, summaryLines } from "../training/index.js";
import { collectiveAbandoned, exitImmediately } from "../xgboost/index.js";
import { runTrain } from "./train-main.js";

const root = process.env[ENV.baseDir] || DEFAULT_ML_ROOT;
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) return;
  process.stderr.write(`train: ${signal} received; stopping after the current round\n`);
  controller.abort();
};
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

const outcome = await runTrain({
  root,
  signal: controller.signal,
  reporter: {
    info: (m) => process.stderr.write(`train: ${m}\n`),
    warn: (m) => process.stderr.write(`train: warning: ${m}\n`),
    round: (r) => process.stdout.write(`${r.line}\n`),
  },
});
if (outcome.summary)
  for (const line of summaryLines(outcome.summary)) process.stdout.write(`train: ${line}\n`);
if (outcome.error) process.stderr.write(`train: ${errorLine(outcome.error)}\n`);
if (outcome.failureNotWritten) process.stderr.write(`train: error: ${outcome.failureNotWritten}\n`);
process.exitCode = outcome.exitCode;
// A multi-host job that failed may leave XGBoost's collective thread blocked on a peer for good,
// and Node's own exit would wait for it: end at once (stdout, stderr and the failure file are written).
if (collectiveAbandoned()) exitImmediately(outcome.exitCode);
// Pool threads, native handles and an algorithm that ignored SIGTERM must not keep a finished job alive.
if (outcome.exitCode !== EXIT.ok || outcome.summary)
  setTimeout(() => process.exit(outcome.exitCode), 100).unref();
