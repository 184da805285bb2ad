/**
 * A multi-model endpoint's TargetModel stays below its `file://` prefix: through the runtime API
 * (the real SageMaker Runtime client, a container played by a node:http server), a target that
 * climbs out — `..`, percent-encoded dots, an absolute path, a NUL — to a real archive outside the
 * prefix is a 400 ValidationError naming it, nothing is extracted from that archive and the
 * container is asked to load nothing; a target below the prefix loads.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { packModelArchive } from "../../model-archive.js";
import {
  type EndpointManager,
  type Instance,
  LiveEndpoint,
  type LiveVariant,
} from "../engines/endpoints/manager.js";
import { UpstreamPool } from "../engines/proxy/_upstream.js";
import type { ApiError } from "../protocol/errors.js";
import { createStorage } from "../storage/storage.js";
import { ensureModelLoaded } from "./multi-model.js";
import { createRuntimeRoute } from "./route.js";

const SECRET = "TOP-SECRET-BYTES";

let work: string;
let prefix: string;
let container: Server;
let front: Server;
let pool: UpstreamPool;
let client: SageMakerRuntimeClient;
let instance: Instance;
let variant: LiveVariant;
const loads: string[] = [];

async function archive(dir: string, out: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  await packModelArchive(dir, out);
}

/** Every file's bytes below `dir`, concatenated. */
async function allBytes(dir: string): Promise<string> {
  let out = "";
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []))
    if (e.isFile()) out += await readFile(join(e.parentPath, e.name), "utf8");
  return out;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-target-model-"));
  await mkdir(join(work, "models"), { recursive: true });
  await mkdir(join(work, "secret"), { recursive: true });
  await archive(join(work, "src-model"), join(work, "models", "iris.tar.gz"), { "xgboost-model": "model" });
  await archive(join(work, "src-secret"), join(work, "secret", "s.tar.gz"), { id_rsa: SECRET });
  prefix = `${pathToFileURL(join(work, "models")).href}/`;
  container = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/models") loads.push(Buffer.concat(chunks).toString());
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => container.listen(0, "127.0.0.1", r));
  pool = new UpstreamPool((container.address() as AddressInfo).port);
  instance = {
    id: "i-0",
    variant: "AllTraffic",
    pool,
    root: join(work, "instance"),
    runner: "runtime",
    logStream: "AllTraffic/i-0",
    loaded: new Map(),
    loading: new Map(),
  } as unknown as Instance;
  variant = {
    name: "AllTraffic",
    weight: 1,
    instances: [instance],
    multiModel: true,
    modelDataUrl: prefix,
    inFlight: 0,
    next: 0,
    current: 0,
  };
  const live = new LiveEndpoint("mme", 1, [variant]);
  const manager = { lookup: () => live } as unknown as EndpointManager;
  const route = createRuntimeRoute(manager, {
    storage: createStorage({ env: {} }),
    account: "123456789012",
    warn: () => undefined,
  });
  front = createServer((req, res) => {
    if (!route(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  client = new SageMakerRuntimeClient({
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 1,
  });
});

after(async () => {
  pool.close();
  client.destroy();
  front.closeAllConnections();
  container.closeAllConnections();
  await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => container.close(r))]);
  await rm(work, { recursive: true, force: true });
});

const invoke = (target: string) =>
  client.send(
    new InvokeEndpointCommand({
      EndpointName: "mme",
      TargetModel: target,
      ContentType: "text/csv",
      Body: Buffer.from("1,2,3,4"),
    }),
  );

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected a failure");
}

describe("a multi-model endpoint's TargetModel", () => {
  it("loads a model below the file:// prefix", async () => {
    loads.length = 0;
    const r = await invoke("iris.tar.gz");
    assert.equal(Buffer.from(r.Body!).toString(), "ok");
    assert.equal(loads.length, 1);
  });

  // The refused ones name the target and the prefix; percent-encoded ones are taken as written
  // (a directory named "%2e%2e" below the prefix), which does not exist.
  const refused = (why: string) => (target: string) =>
    `Cannot load TargetModel ${JSON.stringify(target)}: it must name an object below the endpoint's ModelDataUrl ${prefix}, and it has ${why}.`;
  const notThere = (path: string) => () =>
    `Failed to download model data from ${prefix}${path}: there is no such file.`;
  const escapes: Array<[string, (target: string) => string]> = [
    ["../secret/s.tar.gz", refused('a ".." segment')],
    ["sub/../../secret/s.tar.gz", refused('a ".." segment')],
    ["./../secret/s.tar.gz", refused('a "." segment')],
    ["..\\secret\\s.tar.gz", refused("a backslash")],
    ["%2e%2e/secret/s.tar.gz", notThere("%252e%252e/secret/s.tar.gz")],
    ["%2E%2E/secret/s.tar.gz", notThere("%252E%252E/secret/s.tar.gz")],
    ["..%2fsecret%2fs.tar.gz", notThere("..%252fsecret%252fs.tar.gz")],
  ];
  for (const [target, message] of escapes) {
    it(`refuses ${JSON.stringify(target)}: 400 ValidationError, nothing of the archive outside loaded`, async () => {
      loads.length = 0;
      const e = await failure(invoke(target));
      assert.equal(e.name, "ValidationError");
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, message(target));
      assert.deepEqual(loads, []);
      assert.ok(!(await allBytes(instance.root)).includes(SECRET));
    });
  }

  it("refuses an absolute path to the archive outside", async () => {
    loads.length = 0;
    const target = join(work, "secret", "s.tar.gz");
    const e = await failure(invoke(target));
    assert.equal(e.name, "ValidationError");
    assert.equal(
      e.message,
      `Cannot load TargetModel ${JSON.stringify(target)}: it must name an object below the endpoint's ModelDataUrl ${prefix}, and it has an empty segment (// or a leading or trailing /).`,
    );
    assert.deepEqual(loads, []);
  });

  it("refuses a NUL (which no HTTP client can send, but the check does not rely on that)", async () => {
    await assert.rejects(
      ensureModelLoaded(instance, variant, "../secret/s.tar.gz\0", createStorage({ env: {} })),
      (e: ApiError) => e.type === "ValidationError" && /and it has a "\.\." segment\.$/.test(e.message),
    );
    await assert.rejects(
      ensureModelLoaded(instance, variant, "a\0b", createStorage({ env: {} })),
      (e: ApiError) => e.type === "ValidationError" && /and it has a NUL character\.$/.test(e.message),
    );
    assert.ok(!(await allBytes(instance.root)).includes(SECRET));
  });
});
