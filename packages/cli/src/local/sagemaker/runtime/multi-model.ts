/**
 * Multi-model endpoints (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html), the platform's side: on the first invocation of a target
 * model an instance has not loaded, its archive (`<ModelDataUrl>/<TargetModel>`) is downloaded and
 * extracted under the container's `/opt/ml/models/<name>/model` and loaded with `POST /models`;
 * when the container answers 507 (no room), the least recently used model is unloaded
 * (`DELETE /models/<name>`) and the load tried again.
 */
import { createHash } from "node:crypto";
import { access, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { extractModelArchive } from "../../model-archive.js";
import type { Instance, LiveVariant } from "../engines/endpoints/index.js";
import { callWhole } from "../engines/proxy/index.js";
import { ApiError } from "../protocol/index.js";
import { filePath, joinUri, keyProblem, type ObjectStorage, pathForKey, schemeOf } from "../storage/index.js";

const LOAD_TIMEOUT_MS = 360_000;

/** The container's name for a target model: readable, unique, safe in a URL path and a directory. */
export function modelNameOf(target: string): string {
  const readable = target
    .replace(/\.tar\.gz$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .slice(0, 40);
  return `${readable}-${createHash("sha256").update(target).digest("hex").slice(0, 8)}`;
}

/**
 * Where `target` is: `<prefix>/<target>`, a path below the prefix and nothing else — no `..`, `.`
 * or empty segment, backslash or NUL, and for a `file://` prefix the path taken as written (not
 * percent-decoded) and checked again once resolved.
 *
 * @throws ApiError `ValidationError` naming the target when it would leave the prefix.
 */
export function targetModelUri(prefix: string, target: string): string {
  const refuse = (why: string) =>
    new ApiError(
      "ValidationError",
      `Cannot load TargetModel ${JSON.stringify(target)}: it must name an object below the endpoint's ModelDataUrl ${prefix}, and it has ${why}.`,
    );
  const problem = keyProblem(target);
  if (problem !== undefined) throw refuse(problem);
  if (schemeOf(prefix) !== "file") return joinUri(prefix, target);
  try {
    return pathToFileURL(pathForKey(filePath(prefix), { uri: target, rel: target }, prefix)).href;
  } catch {
    throw refuse("a path outside it");
  }
}

function downloadFailed(url: string): ApiError {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  return new ApiError(
    "ValidationError",
    m
      ? `Failed to download model data(bucket: ${m[1]}, key: ${m[2]}). Please ensure that there is an object located at the URL and that the role passed to CreateModel has permissions to download the model.`
      : `Failed to download model data from ${url}: there is no such file.`,
  );
}

async function load(
  instance: Instance,
  variant: LiveVariant,
  target: string,
  name: string,
  storage: ObjectStorage,
) {
  const source = targetModelUri(variant.modelDataUrl ?? "", target);
  const dir = join(instance.root, "models", name, "model");
  const present = await access(dir).then(
    () => true,
    () => false,
  );
  if (!present) {
    const archive = join(instance.root, "models", `${name}.tar.gz`);
    try {
      await storage.download(source, archive);
    } catch {
      throw downloadFailed(source);
    }
    try {
      await extractModelArchive(archive, dir);
    } catch (e) {
      await rm(join(instance.root, "models", name), { recursive: true, force: true });
      throw new ApiError("ValidationError", `Cannot load model ${target}: ${(e as Error).message}`);
    } finally {
      await rm(archive, { force: true });
    }
  }
  const url = instance.runner === "docker" ? `/opt/ml/models/${name}/model` : dir;
  const body = Buffer.from(JSON.stringify({ model_name: name, url }));
  for (let attempt = 0; ; attempt++) {
    const r = await callWhole(instance.pool, "POST", "/models", {
      body,
      headers: { "content-type": "application/json", accept: "application/json" },
      timeoutMs: LOAD_TIMEOUT_MS,
    });
    if (r.status === 200 || r.status === 409) return;
    if (r.status === 507 && instance.loaded.size > 0 && attempt < 8) {
      await unloadLeastRecent(instance);
      continue;
    }
    throw new ApiError(
      "ModelError",
      `Received ${r.status < 500 ? "client" : "server"} error (${r.status}) from primary with message "${r.body.toString("utf8")}" while loading model ${target}.`,
      { status: 424, fields: { OriginalStatusCode: r.status, OriginalMessage: r.body.toString("utf8") } },
    );
  }
}

async function unloadLeastRecent(instance: Instance): Promise<void> {
  let oldest: string | undefined;
  let at = Number.POSITIVE_INFINITY;
  for (const [name, used] of instance.loaded) {
    if (used < at) {
      at = used;
      oldest = name;
    }
  }
  if (oldest === undefined) return;
  instance.loaded.delete(oldest);
  await callWhole(instance.pool, "DELETE", `/models/${encodeURIComponent(oldest)}`, {
    timeoutMs: LOAD_TIMEOUT_MS,
  });
}

/**
 * Makes sure `target` is loaded in `instance`; resolves to the container's name for it.
 *
 * @throws ApiError `ValidationError` when `target` would leave the endpoint's prefix or its archive
 *   cannot be downloaded, `ModelError` when the container refuses it.
 */
export async function ensureModelLoaded(
  instance: Instance,
  variant: LiveVariant,
  target: string,
  storage: ObjectStorage,
): Promise<string> {
  const name = modelNameOf(target);
  if (instance.loaded.has(name)) {
    instance.loaded.set(name, Date.now());
    return name;
  }
  let pending = instance.loading.get(name);
  if (!pending) {
    pending = load(instance, variant, target, name, storage).then(() => {
      instance.loaded.set(name, Date.now());
    });
    instance.loading.set(name, pending);
    const forget = () => instance.loading.delete(name);
    pending.then(forget, forget);
  }
  await pending;
  return name;
}
