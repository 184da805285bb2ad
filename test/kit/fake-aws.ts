/**
 * A small loopback server that speaks AWS's JSON 1.1 protocol (`POST /`, `X-Amz-Target:
 * <Service>.<Operation>`) for the few SageMaker and CloudWatch Logs operations whose status
 * sequences moto cannot give: a job InProgress then Completed, Failed with a reason, an endpoint
 * Creating then Failed, a log stream that appears late, events sharing a millisecond. Tests script
 * the answers; the real SDK clients reach it through AWS_ENDPOINT_URL_SAGEMAKER and
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS. Listens on port 0.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An AWS error answer. */
export class AwsFault {
  constructor(
    readonly type: string,
    readonly message: string,
    readonly status = 400,
  ) {}
}

/** Answers one operation: the JSON output, or an `AwsFault`. */
export type Handler = (input: Record<string, unknown>) => unknown;

/** One InvokeEndpoint call (SageMaker Runtime is rest-json: `POST /endpoints/<name>/invocations`). */
export interface Invocation {
  readonly endpoint: string;
  readonly body: Buffer;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** What the fake runtime answers: status, headers and body. */
export interface InvokeAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string | Buffer;
}

export interface FakeAws {
  readonly url: string;
  /** Operations called, in order: `SageMaker.DescribeTrainingJob`, … */
  readonly calls: { target: string; input: Record<string, unknown> }[];
  /** Sets (or replaces) the answer of `SageMaker.<Op>` / `Logs_20140328.<Op>`. */
  on(target: string, handler: Handler): void;
  /** Sets the answer of InvokeEndpoint. */
  onInvoke(handler: (call: Invocation) => InvokeAnswer): void;
  readonly invocations: Invocation[];
  /** The env that points the SDK's SageMaker, SageMaker Runtime and CloudWatch Logs clients here. */
  readonly env: Record<string, string>;
  readonly logs: FakeLogs;
  stop(): Promise<void>;
}

interface Stream {
  events: { timestamp: number; message: string; ingestionTime: number }[];
}

/** CloudWatch Logs state: groups of streams of events, read a few at a time (to exercise paging). */
export class FakeLogs {
  readonly groups = new Map<string, Map<string, Stream>>();
  /** Events per GetLogEvents page. */
  pageSize = 2;

  put(group: string, stream: string, events: readonly { timestamp: number; message: string }[]): void {
    let g = this.groups.get(group);
    if (!g) {
      g = new Map();
      this.groups.set(group, g);
    }
    let s = g.get(stream);
    if (!s) {
      s = { events: [] };
      g.set(stream, s);
    }
    for (const e of events) s.events.push({ ...e, ingestionTime: e.timestamp });
  }

  describeLogStreams(input: Record<string, unknown>): unknown {
    const g = this.groups.get(String(input.logGroupName));
    if (!g) return new AwsFault("ResourceNotFoundException", "The specified log group does not exist.");
    const prefix = String(input.logStreamNamePrefix ?? "");
    const names = [...g.keys()].filter((n) => n.startsWith(prefix)).sort();
    return { logStreams: names.map((logStreamName) => ({ logStreamName })) };
  }

  getLogEvents(input: Record<string, unknown>): unknown {
    const s = this.groups.get(String(input.logGroupName))?.get(String(input.logStreamName));
    if (!s) return new AwsFault("ResourceNotFoundException", "The specified log stream does not exist.");
    let from = 0;
    if (typeof input.nextToken === "string") from = Number(input.nextToken.slice(2));
    else if (typeof input.startTime === "number") {
      from = s.events.findIndex((e) => e.timestamp >= (input.startTime as number));
      if (from === -1) from = s.events.length;
    }
    const page = s.events.slice(from, from + this.pageSize);
    const next = from + page.length;
    return { events: page, nextForwardToken: `f/${next}`, nextBackwardToken: `b/${from}` };
  }
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  // AWS JSON sends timestamps as epoch seconds (Date's toJSON would make an ISO string).
  const text = JSON.stringify(json, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "fake" });
  res.end(text);
}

/**
 * Points this process's AWS SDK at `fake` alone: every `AWS_` variable the machine had is dropped
 * (a profile, a region, an endpoint), then the fake's and `extra` are set.
 */
export function useFakeAwsEnv(fake: FakeAws, extra: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
  Object.assign(process.env, fake.env, extra);
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startFakeAws(): Promise<FakeAws> {
  const handlers = new Map<string, Handler>();
  const calls: FakeAws["calls"] = [];
  const logs = new FakeLogs();
  handlers.set("Logs_20140328.DescribeLogStreams", (i) => logs.describeLogStreams(i));
  handlers.set("Logs_20140328.GetLogEvents", (i) => logs.getLogEvents(i));
  const invocations: Invocation[] = [];
  let invoke: ((call: Invocation) => InvokeAnswer) | undefined;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const route = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? "");
      if (route) {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const call = {
          endpoint: decodeURIComponent(route[1]!),
          body: Buffer.concat(chunks),
          headers: req.headers,
        };
        invocations.push(call);
        const answer = invoke?.(call) ?? {
          status: 404,
          headers: { "x-amzn-errortype": "ValidationError" },
          body: "{}",
        };
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body);
        return;
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const input = await body(req);
      calls.push({ target, input });
      const handler = handlers.get(target);
      if (!handler) {
        reply(res, 400, {
          __type: "UnknownOperationException",
          message: `the fake does not answer ${target}`,
        });
        return;
      }
      const out = handler(input);
      if (out instanceof AwsFault) reply(res, out.status, { __type: out.type, message: out.message });
      else reply(res, 200, out ?? {});
    })().catch((e: Error) => reply(res, 500, { __type: "InternalFailure", message: e.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    logs,
    on: (target, handler) => handlers.set(target, handler),
    onInvoke: (handler) => {
      invoke = handler;
    },
    invocations,
    env: {
      AWS_ENDPOINT_URL_SAGEMAKER: url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: url,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: url,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: "us-east-1",
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
