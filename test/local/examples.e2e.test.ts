/**
 * The README's "SageMaker on this machine" snippet, run as written against `sagebrew local` alone:
 * its `export` line (with the server's port) is the whole AWS environment of each script — boto3,
 * the AWS CLI and the AWS SDK for JavaScript — which upload the data (multipart), train with
 * SageMaker's built-in XGBoost image, deploy, invoke (an asynchronous endpoint too, its answer read
 * from S3), transform S3 → S3, read back and delete.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hasBoto3, type RunningLocal, startLocal } from "../kit/local.js";
import { REPO } from "../kit/ml-dir.js";

let work: string;
let local: RunningLocal;
let snippet: { env: Record<string, string>; commands: string[] };

/** The sh block after "## SageMaker on this machine": its export line and its example commands. */
async function readmeSnippet(): Promise<{ env: Record<string, string>; commands: string[] }> {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## SageMaker on this machine"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const exportLine = block.split("\n").find((l) => l.startsWith("export "))!;
  const env = Object.fromEntries(
    exportLine
      .slice("export ".length)
      .split(/\s+/)
      .map((kv) => kv.split("=") as [string, string]),
  );
  const commands = block
    .split("\n")
    .filter((l) => /^(python3|bash|node) examples\//.test(l))
    .map((l) => l.replace(/\s+#.*$/, ""));
  return { env, commands };
}

/** Runs one command of the snippet from the repository, with the snippet's environment only. */
function runExample(command: string): Promise<{ code: number | null; out: string; err: string }> {
  const [program, ...args] = command.split(" ");
  const exe = program === "node" ? process.execPath : program!;
  return new Promise((resolve) => {
    const child = spawn(exe, args, {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: work,
        ...snippet.env,
        AWS_ENDPOINT_URL: local.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 540_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const hasAwsCli = spawnSync("aws", ["--version"], { stdio: "ignore" }).status === 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-examples-"));
  snippet = await readmeSnippet();
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
  });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the README's snippet against sagebrew local alone", () => {
  it("names the three examples and the environment they need", () => {
    assert.deepEqual(snippet.commands, [
      "python3 examples/boto3/train_and_deploy.py",
      "bash examples/aws-cli/train_and_deploy.sh",
      "node examples/js-sdk/train_and_deploy.mjs",
    ]);
    assert.equal(snippet.env.AWS_ENDPOINT_URL, "http://127.0.0.1:8081");
  });

  const expectations: [string, string | false, RegExp][] = [
    [
      "python3",
      hasBoto3() ? false : "boto3 is not importable by the python3 on PATH",
      /ETag "[0-9a-f]{32}-2"/,
    ],
    ["bash", hasAwsCli ? false : "the AWS CLI is not on PATH", /aws-cli-example\/\S+\/train\/iris\.csv/],
    ["node", false, /ETag "[0-9a-f]{32}-2"/],
  ];
  for (const [program, skip, upload] of expectations) {
    it(
      `runs ${program}'s: upload, train, deploy, invoke, invoke asynchronously, transform S3 → S3, delete`,
      { skip },
      async () => {
        const command = snippet.commands.find((c) => c.startsWith(`${program} `))!;
        const r = await runExample(command);
        assert.equal(r.code, 0, `${command}: ${r.err}\n${local.stderr()}`);
        assert.match(r.out, upload, "the training data went up in parts");
        assert.match(
          r.out,
          /^training job iris-\S+: Completed, model s3:\/\/sagemaker-us-east-1-123456789012\/\S+\/model\.tar\.gz$/m,
        );
        assert.match(r.out, /^endpoint iris-\S+: InService$/m);
        assert.match(r.out, /^prediction for 5\.1,3\.5,1\.4,0\.2: 0(\.0)?$/m);
        assert.match(
          r.out,
          /^async prediction for 5\.1,3\.5,1\.4,0\.2: 0(\.0)? \(s3:\/\/sagemaker-us-east-1-123456789012\/\S+\/async-out\/[0-9a-f-]{36}\.out\)$/m,
        );
        assert.match(r.out, /^batch transform: 0(\.0)? 1(\.0)? 2(\.0)?\s*$/m);
        assert.match(r.out, /^deleted endpoint iris-\S+, its config and model/m);
        assert.match(r.out, /^deleted endpoint iris-\S+-async and its config$/m);
      },
    );
  }

  it("kept everything in sagebrew local's S3, and left no object behind", async () => {
    assert.deepEqual(await readdir(join(work, "state", "s3", "buckets")), [
      "sagemaker-us-east-1-123456789012",
    ]);
    const listed = await fetch(`${local.url}/sagemaker-us-east-1-123456789012?list-type=2`);
    assert.match(await listed.text(), /<KeyCount>0<\/KeyCount>/);
  });
});
