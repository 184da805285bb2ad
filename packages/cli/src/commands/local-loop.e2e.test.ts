/** The local loop's failures: each one sentence naming the problem, at once, with a non-zero exit. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { captureIo } from "../../../../test/kit/capture-io.js";
import { irisMlRoot } from "../../../../test/kit/iris.js";
import { SERVE_FROM_SOURCE } from "../../../../test/kit/process.js";
import { main } from "../main.js";
import { COMMANDS, loadCommands } from "./index.js";
import { CONTENT_TYPE_BY_EXTENSION } from "./predict.js";

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));

/** Runs `sagebrew …` in-process; resolves to the exit code and what it printed. */
async function sagebrew(argv: string[], cwd = "/") {
  const c = captureIo({ cwd });
  const code = await main(argv, c.io);
  return { code, ...c.text() };
}

let work: string;
let ml: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-loop-"));
  ml = await irisMlRoot();
});
after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(ml, { recursive: true, force: true });
});

/** The long options a command's --help lists. */
function helpOptions(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
}

describe("unknown commands and options", () => {
  it("suggest the nearest command, for every command of the table", async () => {
    for (const { name } of COMMANDS) {
      const r = await sagebrew([name.slice(0, -1)]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        new RegExp(`^sagebrew: unknown command "${name.slice(0, -1)}"\\. Did you mean "${name}"\\?\\n`),
      );
    }
  });

  it("suggest the nearest option, for every option every command's --help lists", async () => {
    for (const command of await loadCommands()) {
      const options = helpOptions(command.help);
      assert.ok(options.includes("--help"), `${command.name} --help lists --help`);
      for (const option of options) {
        const typo = option.slice(0, -1);
        const r = await sagebrew([command.name, typo]);
        assert.equal(r.code, 2, `${command.name} ${typo}`);
        assert.ok(
          r.stderr.startsWith(`sagebrew ${command.name}: unknown option ${typo}. Did you mean ${option}?\n`),
          `${command.name} ${typo}: ${r.stderr.split("\n")[0]}`,
        );
      }
    }
  });

  it("name a flag that lacks its value", async () => {
    const r = await sagebrew(["serve", ml, "--port"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sagebrew serve: --port needs a value\n/);
    const dash = await sagebrew(["serve", ml, "--port", "-1"]);
    assert.match(
      dash.stderr,
      /^sagebrew serve: --port needs a value; one that starts with "-" is written --port=<value>\n/,
    );
  });
});

describe("sagebrew serve", () => {
  it("names --port when its value is not a port", async () => {
    for (const port of ["99999", "abc", "-1", "8080x"]) {
      const r = await sagebrew(["serve", ml, `--port=${port}`]);
      assert.equal(r.code, 2, port);
      assert.match(r.stderr, new RegExp(`^sagebrew serve: --port ${port} is not a port number: `), port);
    }
  });

  it("as sagebrew local does", async () => {
    const r = await sagebrew(["local", "--port", "70000"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sagebrew local: --port 70000 is not a port number: /);
  });

  it("exits at once on a missing directory, or an /opt/ml directory with no model yet", async () => {
    const missing = await sagebrew(["serve", join(work, "nope"), "--port", "0"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `sagebrew serve: directory ${join(work, "nope")} does not exist\n`);
    const untrained = join(work, "untrained");
    await mkdir(join(untrained, "input", "config"), { recursive: true });
    const r = await sagebrew(["serve", untrained, "--port", "0"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no model\/ yet: train first \(sagebrew train .*untrained\)/);
  });

  it("exits 1 at once with the reason when the model cannot be loaded", async () => {
    const bad = join(work, "bad-model");
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, "xgboost-model"), "not a model");
    const r = await sagebrew(["serve", bad, "--port", "0"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^sagebrew serve: Cannot load model ${bad}/xgboost-model: `, "m"));
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it("says in one sentence that the port is in use, without a stack trace", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await sagebrew(["serve", ml, "--port", String(port)]);
      assert.equal(r.code, 1);
      const sentence = `sagebrew serve: Cannot listen on 127.0.0.1 port ${port}: another program is listening there; choose another port with --port (0 picks a free one)\n`;
      assert.equal(
        r.stderr
          .split("\n")
          .filter((l) => !l.startsWith("{"))
          .join("\n"),
        sentence,
      );
    } finally {
      blocker.close();
    }
  });

  it("sagebrew local says it in the same sentence, and leaves the state directory free", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as AddressInfo).port;
    const state = join(work, "local-state");
    try {
      const r = await sagebrew(["local", "--port", String(port), "--state", state]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `sagebrew local: Cannot listen on 127.0.0.1 port ${port}: another program is listening there; choose another port with --port (0 picks a free one)\n`,
      );
      assert.equal(r.stdout, "");
      // The lock is released, so a second try on a free port takes the same directory.
      await assert.rejects(readFile(join(state, "lock")), { code: "ENOENT" });
    } finally {
      blocker.close();
    }
  });

  it("serves DIR/model, as transform --model takes it", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=sagebrew-source", "--import", "tsx", BIN, "serve", join(ml, "model"), "--port", "0"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SAGEMAKER_MODEL_SERVER_WORKERS: "1" } },
    );
    try {
      let out = "";
      let err = "";
      child.stderr!.on("data", (d) => {
        err += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", (d) => {
          out += d;
          const m = /Ready: (http:\/\/[^/]+)\/ping/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${out}${err}`)));
      });
      assert.match(out, new RegExp(`^Serving ${join(ml, "model")} on `));
      const r = await fetch(`${url}/invocations`, {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5,1.4,0.2\n",
      });
      assert.equal(await r.text(), "setosa\n");
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

describe("sagebrew train", () => {
  it("takes --hyperparameter k=v for this run, and leaves hyperparameters.json as it is", async () => {
    const dir = join(work, "override");
    await cp(
      fileURLToPath(new URL("../../../../examples/iris-xgboost/local_test/test_dir", import.meta.url)),
      dir,
      {
        recursive: true,
      },
    );
    const file = join(dir, "input", "config", "hyperparameters.json");
    const before = await readFile(file, "utf8");
    const r = await sagebrew([
      "train",
      dir,
      "--plain",
      "--hyperparameter",
      "num_round=3",
      "--hyperparameter",
      "eta=0.5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[2\]\t/m);
    assert.doesNotMatch(r.stdout, /^\[3\]\t/m, "three rounds, as --hyperparameter num_round=3 says");
    assert.equal(await readFile(file, "utf8"), before);
    const bad = await sagebrew(["train", dir, "--hyperparameter", "eta"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--hyperparameter eta is not KEY=VALUE/);
  });

  it("exits as its --help says: 2 for a directory without input/config, which the help names", async () => {
    const help = await sagebrew(["train", "--help"]);
    assert.match(
      help.stdout,
      /2 algorithm or platform fault \(or the\s+command line is wrong: an unknown option, a directory without input\/config\)/,
    );
    assert.match(
      (await sagebrew(["--help"])).stdout,
      /^Exit codes: 0 done, 1 failed, 2 the command line is wrong/m,
    );
  });

  it("says so when the directory has no input/config", async () => {
    const dir = join(work, "not-ml");
    await mkdir(dir, { recursive: true });
    const r = await sagebrew(["train", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^sagebrew train: Cannot train in ${dir}: it has no input/config/ `));
  });
});

describe("sagebrew predict", () => {
  it("takes the Content-Type from the file's extension when none is given", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createHttpServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on("end", () => res.end("ok\n"));
    }).listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cases = [
        ["rows.json", "application/json"],
        ["rows.JSONL", "application/jsonlines"],
        ["rows.libsvm", "text/libsvm"],
        ["rows.csv", "text/csv"],
        ["rows.txt", "text/csv"],
        ["rows.json", "text/plain", "text/plain"],
      ] as const;
      for (const [file, want, given] of cases) {
        await writeFile(join(work, file), "1\n");
        const args = ["predict", file, "--url", url, ...(given ? ["--content-type", given] : [])];
        assert.equal((await sagebrew(args, work)).code, 0);
        assert.equal(seen.at(-1)?.["content-type"], want, file);
      }
    } finally {
      server.close();
    }
  });

  it("knows every file ending the codec registry reads, with the same media type", async () => {
    const { BUILTIN_CODECS } = await import("@sagebrew/runtime");
    for (const codec of BUILTIN_CODECS) {
      for (const ext of codec.extensions ?? [])
        assert.equal(CONTENT_TYPE_BY_EXTENSION[ext], codec.mediaType, ext);
    }
  });
});

describe("sagebrew transform", () => {
  const serve = SERVE_FROM_SOURCE.join(" ");

  it("says in one sentence that --output is a file", async () => {
    const file = join(work, "out-file");
    await writeFile(file, "");
    await writeFile(join(work, "in.csv"), "5.1,3.5,1.4,0.2\n");
    const r = await sagebrew(["transform", "in.csv", "--model", ml, "--output", file], work);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `sagebrew transform: --output ${file} is a file; give a directory (it is created when missing)\n`,
    );
  });

  it(
    "stops a serve that a wrapper started, with the wrapper: the job ends and no serve is left running",
    { timeout: 120_000 },
    async () => {
      // `sh` passes no signal on to a child it waits for: before serve ran in a group of its own,
      // stopping the wrapper left serve running (and holding the CLI's pipes open).
      const pidFile = join(work, "wrapped-serve.pid");
      const wrapper = join(work, "wrap-serve.sh");
      const quoted = SERVE_FROM_SOURCE.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
      await writeFile(wrapper, `${quoted} &\necho $! > '${pidFile}'\nwait\n`);
      await writeFile(join(work, "in.csv"), "5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n");
      const args = [
        "transform",
        "in.csv",
        "--model",
        ml,
        "--output",
        "out-wrapped",
        "--serve",
        `sh ${wrapper}`,
      ];
      const r = await sagebrew(args, work);
      assert.equal(r.code, 0, r.stderr);
      const out = await readFile(join(work, "out-wrapped", "in.csv.out"), "utf8");
      assert.equal(out.trim().split("\n").length, 2);
      const pid = Number(await readFile(pidFile, "utf8"));
      assert.ok(pid > 0);
      // Exited: gone, or a zombie its new parent has not reaped yet.
      const state = await readFile(`/proc/${pid}/stat`, "utf8").then(
        (stat) => stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3),
        () => "gone",
      );
      assert.ok(
        state === "gone" || state === "Z",
        `the wrapped serve (pid ${pid}) is still running: state ${state}`,
      );
    },
  );

  it(
    "fails as soon as serve cannot load the model, naming the user's model path",
    { timeout: 60_000 },
    async () => {
      const bad = join(work, "bad-model-dir");
      await mkdir(bad, { recursive: true });
      await writeFile(join(bad, "xgboost-model"), "not a model");
      await writeFile(join(work, "in.csv"), "5.1,3.5,1.4,0.2\n");
      const args = ["transform", "in.csv", "--model", bad, "--output", "out", "--serve", serve];
      const r = await sagebrew(args, work);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`^sagebrew transform: Cannot start serve: Cannot load model ${bad}/xgboost-model: `),
      );
      assert.doesNotMatch(r.stderr, /sagebrew-transform-/);
      await assert.rejects(readFile(join(work, "out", "in.csv.out")));
    },
  );
});
