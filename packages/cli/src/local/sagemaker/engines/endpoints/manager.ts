/**
 * Endpoints on this machine (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html): each variant's instances are `serve` containers on
 * loopback ports, with their model extracted into their own `/opt/ml/model`. An endpoint is
 * Creating until every container answers `/ping` with 200, then InService; Failed (with the
 * container's last log line) when one exits or stays unhealthy. UpdateEndpoint starts the new
 * containers beside the old ones and switches traffic only once they answer, then lets the old
 * ones finish their requests before stopping them: no request fails. Container output goes to
 * `/aws/sagemaker/Endpoints/<endpoint>`, stream `<variant>/<instance-id>`.
 */
import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { LIMITS } from "@sagebrew/runtime/core";
import { extractModelArchive } from "../../../model-archive.js";
import {
  type AsyncInferenceConfig,
  containerOf,
  type DeployedVariant,
  type Deployment,
  type EndpointDoc,
  type ImagePlan,
  type ProductionVariantSummary,
  type ServerlessConfig,
} from "../../docs.js";
import type { LogStore } from "../../logs/index.js";
import type { EndpointEngine, EndpointLedger } from "../../resources/index.js";
import type { ObjectStorage } from "../../storage/index.js";
import { pathForKey } from "../../storage/index.js";
import type { ProcessRegistry } from "../containers/index.js";
import { type ContainerDeps, freePort, type RunningContainer, startContainer } from "../containers/index.js";
import { callWhole, UpstreamPool } from "../proxy/index.js";

/** The log group of an endpoint. */
export function endpointLogGroup(endpoint: string): string {
  return `/aws/sagemaker/Endpoints/${endpoint}`;
}

/** Default `ContainerStartupHealthCheckTimeoutInSeconds`. */
const DEFAULT_STARTUP_S = 600;
/**
 * Lines that continue the message before them (stack traces, indented detail): the reason given for
 * a failed endpoint is the last line that starts a message.
 */
const CONTINUATION = /^(\s|Stack trace:|\[bt\]|Caused by)/;
/** A `/ping` error (other than 503) that lasts this long fails the endpoint before the window ends. */
const PERSISTENT_FAILURE_MS = 5_000;

/** One `serve` container of a variant. */
export interface Instance {
  readonly id: string;
  readonly variant: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  readonly container: RunningContainer;
  readonly root: string;
  readonly logStream: string;
  readonly registryName: string;
  readonly runner: "runtime" | "docker";
  lastLine: string;
  exited: boolean;
  /** Multi-model: models loaded in this container, by name, with their last use. */
  readonly loaded: Map<string, number>;
  readonly loading: Map<string, Promise<void>>;
}

/** A variant as it serves. */
export interface LiveVariant {
  readonly name: string;
  readonly weight: number;
  readonly instances: Instance[];
  readonly multiModel: boolean;
  /** Multi-model: the prefix models load from. */
  readonly modelDataUrl?: string;
  /** Serverless: its memory and the most invocations it takes at once (one container serves them). */
  readonly serverless?: ServerlessConfig;
  /** Serverless: invocations in flight now, held against `MaxConcurrency`. */
  inFlight: number;
  next: number;
  current: number;
}

/** An endpoint's serving deployment. */
export class LiveEndpoint {
  readonly name: string;
  readonly generation: number;
  readonly variants: LiveVariant[];
  /** The deployed config's `AsyncInferenceConfig`: only InvokeEndpointAsync reaches it then. */
  readonly asyncInference: AsyncInferenceConfig | undefined;
  /** Set while the containers come back after a restart; invocations wait for it. */
  ready: Promise<void> | undefined;
  failure: string | undefined;

  constructor(
    name: string,
    generation: number,
    variants: LiveVariant[],
    asyncInference?: AsyncInferenceConfig,
  ) {
    this.name = name;
    this.generation = generation;
    this.variants = variants;
    this.asyncInference = asyncInference;
  }

  /**
   * The variant and instance for the next request: the named variant, or the weights' smooth
   * round robin (deterministic, no random numbers); instances of a variant in turn.
   */
  pick(targetVariant: string | undefined): { variant: LiveVariant; instance: Instance } | undefined {
    let chosen: LiveVariant | undefined;
    if (targetVariant !== undefined) chosen = this.variants.find((v) => v.name === targetVariant);
    else if (this.variants.length === 1) chosen = this.variants[0];
    else {
      let total = 0;
      for (const v of this.variants) {
        v.current += v.weight;
        total += v.weight;
        if (!chosen || v.current > chosen.current) chosen = v;
      }
      if (chosen) chosen.current -= total;
    }
    if (!chosen || chosen.instances.length === 0) return undefined;
    const instance = chosen.instances[chosen.next++ % chosen.instances.length]!;
    return { variant: chosen, instance };
  }
}

export interface EndpointManagerOptions {
  /** The endpoints: their documents, and their state machine to report to. */
  readonly endpoints: EndpointLedger;
  readonly logs: LogStore;
  readonly storage: ObjectStorage;
  readonly containers: ContainerDeps;
  readonly registry: ProcessRegistry;
  readonly planImage: (image: string) => Promise<ImagePlan>;
  readonly workDir: string;
  readonly now: () => number;
  readonly warn: (message: string) => void;
}

/** A stable, EC2-looking instance id for an endpoint's container. */
function instanceId(endpoint: string, generation: number, variant: string, index: number): string {
  return `i-${createHash("sha256").update(`${endpoint}/${generation}/${variant}/${index}`).digest("hex").slice(0, 17)}`;
}

class DeployError extends Error {}

export class EndpointManager implements EndpointEngine {
  readonly #o: EndpointManagerOptions;
  readonly #live = new Map<string, LiveEndpoint>();
  readonly #queue = new Map<string, Promise<void>>();
  readonly #aborts = new Map<string, AbortController>();
  /** Deployments being started, so that close() can stop them too. */
  readonly #starting = new Set<Instance[]>();

  constructor(options: EndpointManagerOptions) {
    this.#o = options;
  }

  /** The serving deployment of an endpoint (by any case of its name), if any. */
  lookup(name: string): LiveEndpoint | undefined {
    // Invocations name the same endpoint again and again (twice each): its key is remembered.
    if (name !== this.#lookedUp) {
      this.#lookedUp = name;
      this.#lookedUpKey = name.toLowerCase();
    }
    return this.#live.get(this.#lookedUpKey);
  }
  #lookedUp = "";
  #lookedUpKey = "";

  deploy(endpoint: EndpointDoc): void {
    this.#chain(endpoint.name, () => this.#rollout(endpoint.name));
  }

  remove(endpoint: EndpointDoc): void {
    const key = endpoint.name.toLowerCase();
    this.#aborts.get(key)?.abort();
    this.#chain(endpoint.name, () => this.#remove(endpoint.name));
  }

  /** Resolves once every change queued for the endpoint so far is done. */
  async settled(name: string): Promise<void> {
    await this.#queue.get(name.toLowerCase());
  }

  /** Brings endpoints back after a restart: InService ones start again, unfinished changes resume. */
  async recover(): Promise<void> {
    for (const doc of this.#o.endpoints.list()) {
      const name = doc.name;
      if (doc.EndpointStatus === "Deleting") {
        this.#chain(name, () => this.#remove(name));
        continue;
      }
      if (doc._live && (doc.EndpointStatus === "InService" || doc.EndpointStatus === "Updating")) {
        const live = new LiveEndpoint(doc.EndpointName, doc._live.generation, [], doc._live.asyncInference);
        let release: () => void = () => undefined;
        live.ready = new Promise<void>((r) => {
          release = r;
        });
        this.#live.set(name.toLowerCase(), live);
        this.#chain(name, async () => {
          try {
            const started = await this.#start(doc, doc._live!, new AbortController().signal);
            live.variants.push(...started);
          } catch (e) {
            live.failure = (e as Error).message;
            this.#live.delete(name.toLowerCase());
            await this.#o.endpoints.report(name, {
              type: "restart-failed",
              generation: live.generation,
              reason: (e as Error).message,
            });
          } finally {
            live.ready = undefined;
            release();
          }
        });
      }
      if (doc._pending && (doc.EndpointStatus === "Creating" || doc.EndpointStatus === "Updating")) {
        this.#chain(name, () => this.#rollout(name));
      }
    }
  }

  /** Stops every container (SIGTERM, SIGKILL after `graceMs`) and waits for them. */
  async close(graceMs = 5_000): Promise<void> {
    for (const a of this.#aborts.values()) a.abort();
    const all: Instance[] = [];
    for (const live of this.#live.values()) for (const v of live.variants) all.push(...v.instances);
    for (const s of this.#starting) all.push(...s);
    this.#live.clear();
    await Promise.all(all.map((i) => this.#stopInstance(i, graceMs, false)));
    await Promise.allSettled([...this.#queue.values()]);
  }

  #chain(name: string, op: () => Promise<void>): void {
    const key = name.toLowerCase();
    const run = (this.#queue.get(key) ?? Promise.resolve())
      .then(op)
      .catch((e: Error) => this.#o.warn(`endpoint ${name}: ${e.stack ?? e.message}`));
    this.#queue.set(key, run);
  }

  async #rollout(name: string): Promise<void> {
    const doc = this.#o.endpoints.get(name);
    if (!doc?._pending || (doc.EndpointStatus !== "Creating" && doc.EndpointStatus !== "Updating")) return;
    const key = name.toLowerCase();
    const abort = new AbortController();
    this.#aborts.set(key, abort);
    const pending = doc._pending;
    let variants: LiveVariant[];
    try {
      variants = await this.#start(doc, pending, abort.signal);
    } catch (e) {
      this.#aborts.delete(key);
      if (abort.signal.aborted) return;
      await this.#o.endpoints.report(name, {
        type: "deploy-failed",
        generation: pending.generation,
        reason: (e as Error).message,
      });
      return;
    }
    this.#aborts.delete(key);
    const fresh = new LiveEndpoint(doc.EndpointName, pending.generation, variants, pending.asyncInference);
    const applied = await this.#o.endpoints
      .report(name, { type: "deployed", generation: pending.generation, variants: this.#summaries(pending) })
      .catch((e: Error) => ({ refused: e.message }));
    if (!("doc" in applied)) {
      // Deleted meanwhile (or sagebrew local is stopping): the new containers never serve.
      await this.#retire(fresh);
      return;
    }
    const old = this.#live.get(key);
    this.#live.set(key, fresh);
    if (old) await this.#retire(old);
  }

  #summaries(d: Deployment): ProductionVariantSummary[] {
    const now = this.#o.now();
    return d.variants.map(({ variant, model }) => {
      const image = containerOf(model).Image ?? "";
      const count = variant.InitialInstanceCount ?? 1;
      const weight = variant.InitialVariantWeight ?? 1;
      return {
        VariantName: variant.VariantName,
        DeployedImages: [{ SpecifiedImage: image, ResolvedImage: image, ResolutionTime: now }],
        CurrentWeight: weight,
        DesiredWeight: weight,
        // A serverless variant shows its capacity, not instances (SageMaker scales it itself).
        ...(variant.ServerlessConfig
          ? {
              CurrentServerlessConfig: variant.ServerlessConfig,
              DesiredServerlessConfig: variant.ServerlessConfig,
            }
          : { CurrentInstanceCount: count, DesiredInstanceCount: count }),
      };
    });
  }

  /** Starts every container of a deployment and waits for their `/ping`; stops them all on failure. */
  async #start(doc: EndpointDoc, d: Deployment, signal: AbortSignal): Promise<LiveVariant[]> {
    const genDir = join(this.#o.workDir, doc.name.toLowerCase(), `g${d.generation}`);
    await rm(genDir, { recursive: true, force: true });
    const started: Instance[] = [];
    this.#starting.add(started);
    try {
      const variants: LiveVariant[] = [];
      for (const dv of d.variants)
        variants.push(await this.#startVariant(doc, d.generation, dv, genDir, started));
      await Promise.all(started.map((i) => this.#waitHealthy(i, startupTimeoutOf(d, i.variant), signal)));
      return variants;
    } catch (e) {
      // Stopped before the failure is reported: by then every line the containers wrote is in
      // their streams, so a client that reads the logs once the endpoint says Failed reads the last
      // one (sagebrew's commands read them once then, with no wait for late lines).
      await Promise.all(started.map((i) => this.#stopInstance(i, 5_000, true)));
      throw e;
    } finally {
      this.#starting.delete(started);
    }
  }

  async #startVariant(
    doc: EndpointDoc,
    generation: number,
    { variant, model }: DeployedVariant,
    genDir: string,
    started: Instance[],
  ): Promise<LiveVariant> {
    const container = containerOf(model);
    const image = container.Image ?? "";
    let plan: ImagePlan;
    try {
      plan = await this.#o.planImage(image);
    } catch (e) {
      throw new DeployError((e as Error).message);
    }
    const multiModel = container.Mode === "MultiModel";
    const count = variant.InitialInstanceCount ?? 1;
    const variantDir = join(genDir, variant.VariantName);
    const archive = multiModel ? undefined : await this.#fetchModel(container, variantDir);
    const instances: Instance[] = [];
    for (let i = 0; i < count; i++) {
      const root = join(variantDir, `instance-${i + 1}`);
      await mkdir(join(root, "model"), { recursive: true });
      if (multiModel) await mkdir(join(root, "models"), { recursive: true });
      if (archive?.kind === "tar") await extractModelArchive(archive.path, join(root, "model"));
      if (archive?.kind === "dir") {
        for (const o of archive.objects) {
          let dest: string;
          try {
            dest = pathForKey(join(root, "model"), o, "the model directory");
          } catch (e) {
            throw new DeployError(`Cannot place the model data: ${(e as Error).message}`);
          }
          await this.#o.storage.download(o.uri, dest);
        }
      }
      const id = instanceId(doc.name.toLowerCase(), generation, variant.VariantName, i);
      const port = await freePort();
      const logStream = `${variant.VariantName}/${id}`;
      const group = endpointLogGroup(doc.EndpointName);
      const registryName = `sagebrew-local-ep-${doc.name.toLowerCase()}-g${generation}-${variant.VariantName.toLowerCase()}-${i + 1}`;
      const instance: Instance = {
        id,
        variant: variant.VariantName,
        port,
        pool: new UpstreamPool(port),
        root,
        logStream,
        registryName,
        runner: plan.runner,
        lastLine: "",
        exited: false,
        loaded: new Map(),
        loading: new Map(),
        container: startContainer(
          {
            runner: plan.runner,
            image,
            mlRoot: root,
            program: "serve",
            env: {
              ...(container.Environment ?? {}),
              ...(multiModel ? { SAGEMAKER_MULTI_MODEL: "true" } : {}),
            },
            name: registryName,
            port,
            onLine: (line) => {
              this.#o.logs.write(group, logStream, line);
              if (line.trim() && !CONTINUATION.test(line)) instance.lastLine = line.trim();
            },
          },
          this.#o.containers,
        ),
      };
      void instance.container.exited.then(() => {
        instance.exited = true;
      });
      void this.#o.registry.add({
        pid: instance.container.pid,
        mlRoot: root,
        runner: plan.runner,
        name: registryName,
      });
      instances.push(instance);
      started.push(instance);
    }
    return {
      name: variant.VariantName,
      weight: variant.InitialVariantWeight ?? 1,
      instances,
      multiModel,
      ...(multiModel && container.ModelDataUrl ? { modelDataUrl: container.ModelDataUrl } : {}),
      ...(variant.ServerlessConfig ? { serverless: variant.ServerlessConfig } : {}),
      inFlight: 0,
      next: 0,
      current: 0,
    };
  }

  /** Downloads a variant's model data once: a `model.tar.gz`, or the objects of an uncompressed prefix. */
  async #fetchModel(
    container: ReturnType<typeof containerOf>,
    variantDir: string,
  ): Promise<
    | { kind: "tar"; path: string }
    | { kind: "dir"; objects: Awaited<ReturnType<ObjectStorage["list"]>> }
    | undefined
  > {
    const source = container.ModelDataSource?.S3DataSource;
    const url = container.ModelDataUrl ?? source?.S3Uri;
    if (!url) return undefined;
    const failed = () => {
      const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
      return new DeployError(
        m
          ? `Failed to download model data(bucket: ${m[1]}, key: ${m[2]}). Please ensure that there is an object located at the URL and that the role passed to CreateModel has permissions to download the model.`
          : `Failed to download model data from ${url}: there is no such file.`,
      );
    };
    if (source && source.CompressionType === "None") {
      const objects = await this.#o.storage.list(url).catch(() => []);
      if (objects.length === 0) throw failed();
      return { kind: "dir", objects };
    }
    const path = join(variantDir, "model.tar.gz");
    try {
      await this.#o.storage.download(url, path);
    } catch {
      throw failed();
    }
    return { kind: "tar", path };
  }

  /** Waits until the instance answers `/ping` with 200 within the variant's startup timeout. */
  async #waitHealthy(instance: Instance, timeoutS: number, signal: AbortSignal): Promise<void> {
    const start = Date.now();
    const deadline = start + timeoutS * 1000;
    let failingSince: number | undefined;
    const fail = (why: string) =>
      new DeployError(
        `The primary container for production variant ${instance.variant} did not pass the ping health check: ${why}${instance.lastLine ? `; its last log line: ${instance.lastLine}` : ""}`,
      );
    for (;;) {
      if (signal.aborted) throw new DeployError("the endpoint was deleted while it was being created");
      if (instance.exited) {
        const r = await instance.container.exited;
        throw fail(r.signal ? `it was killed by ${r.signal}` : `it exited with code ${r.code}`);
      }
      try {
        const r = await callWhole(instance.pool, "GET", "/ping", {
          timeoutMs: LIMITS.pingTimeoutSeconds * 1000,
        });
        if (r.status === 200) return;
        const said = r.body.toString("utf8").trim().split("\n")[0]?.slice(0, 500) ?? "";
        const answer = `/ping answered ${r.status}${said ? ` (${said})` : ""}`;
        // 503 says "not yet"; another error that persists says the container gave up (a model that
        // cannot load): fail now rather than at the end of the health-check window.
        if (r.status !== 503) failingSince ??= Date.now();
        else failingSince = undefined;
        if (failingSince !== undefined && Date.now() - failingSince >= PERSISTENT_FAILURE_MS)
          throw fail(answer);
        if (Date.now() > deadline) throw fail(answer);
      } catch (e) {
        if (e instanceof DeployError) throw e;
        failingSince = undefined;
        if (Date.now() > deadline) throw fail(`/ping did not answer within ${timeoutS} s`);
      }
      // Containers usually answer within a few hundred ms: ask often at first.
      await new Promise((r) => setTimeout(r, Date.now() - start < 3000 ? 25 : 250));
    }
  }

  /** Lets an old deployment finish its requests, then stops it. */
  async #retire(old: LiveEndpoint): Promise<void> {
    const instances = old.variants.flatMap((v) => v.instances);
    await Promise.all(instances.map((i) => i.pool.drain()));
    await Promise.all(
      instances.map((i) => this.#stopInstance(i, LIMITS.hostingStopGraceSeconds * 1000, true)),
    );
    await rm(join(this.#o.workDir, old.name.toLowerCase(), `g${old.generation}`), {
      recursive: true,
      force: true,
    });
  }

  async #stopInstance(i: Instance, graceMs: number, removeRecord: boolean): Promise<void> {
    i.container.terminate(graceMs);
    await i.container.exited;
    i.pool.close();
    if (removeRecord) await this.#o.registry.remove(i.registryName);
  }

  async #remove(name: string): Promise<void> {
    const key = name.toLowerCase();
    const live = this.#live.get(key);
    this.#live.delete(key);
    if (live) {
      const instances = live.variants.flatMap((v) => v.instances);
      await Promise.all(instances.map((i) => i.pool.drain()));
      await Promise.all(
        instances.map((i) => this.#stopInstance(i, LIMITS.hostingStopGraceSeconds * 1000, true)),
      );
    }
    await rm(join(this.#o.workDir, key), { recursive: true, force: true });
    await this.#o.endpoints.report(name, { type: "removed" });
  }
}

/** The startup health-check timeout of the variant an instance belongs to. */
function startupTimeoutOf(d: Deployment, variant: string): number {
  const v = d.variants.find((x) => x.variant.VariantName === variant)?.variant;
  return v?.ContainerStartupHealthCheckTimeoutInSeconds ?? DEFAULT_STARTUP_S;
}
