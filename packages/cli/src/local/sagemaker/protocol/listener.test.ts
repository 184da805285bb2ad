/**
 * `sagebrew local`'s listener runs on the same guarded server as `serve`: over real sockets on
 * port 0, slow headers and bodies get 408 and connections over the cap 503, as AWS-shaped JSON
 * errors, and a rejection is logged.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import type { GuardedServer } from "@sagebrew/runtime/core";
import { createFront } from "./listener.js";

/** The front's limits in these tests: generous, so that only the limit a test sets is reached. */
const LIMITS = {
  headersTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 60_000,
  bodyTimeoutMs: 600_000,
  maxConnections: 1000,
  rejectionLogLimit: 10,
};

const fronts: GuardedServer[] = [];
after(async () => {
  await Promise.all(fronts.map((f) => f.close({ deadlineMs: 1000 })));
});

async function front(limits: Partial<Parameters<typeof createFront>[0]["limits"]>, warnings: string[] = []) {
  const f = createFront({
    // No route of these tests reaches a service.
    services: {},
    runtime: () => false,
    warn: (m) => void warnings.push(m),
    limits: {
      ...LIMITS,
      ...limits,
    },
  });
  fronts.push(f);
  await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
  return { f, port: (f.server.address() as AddressInfo).port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** The status line, headers and body the server sent before closing `socket`. */
function replyOf(socket: Socket): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.setEncoding("utf8").on("data", (c: string) => {
      text += c;
    });
    socket.once("error", reject);
    socket.once("close", () => {
      const split = text.indexOf("\r\n\r\n");
      resolve({
        status: Number(text.split(" ")[1]),
        headers: text.slice(0, split).toLowerCase(),
        body: text.slice(split + 4),
      });
    });
  });
}

const jsonCall = (length: number) =>
  `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: SageMaker.ListModels\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: ${length}\r\n\r\n`;

describe("sagebrew local's listener under slow clients", () => {
  it(
    "answers headers that stop arriving with 408 RequestTimeoutException, and logs it",
    { timeout: 20_000 },
    async () => {
      const warnings: string[] = [];
      const { port } = await front({ headersTimeoutMs: 300 }, warnings);
      const s = await open(port);
      const reply = replyOf(s);
      s.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-");
      const r = await reply;
      assert.equal(r.status, 408);
      assert.match(r.headers, /x-amzn-errortype: requesttimeoutexception/);
      assert.deepEqual(JSON.parse(r.body), {
        __type: "RequestTimeoutException",
        message: "The request's headers did not arrive within 0.3 s (SAGEBREW_HEADERS_TIMEOUT)",
      });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^request rejected: \{"status":408,/);
    },
  );

  it("answers a JSON call whose body stops arriving with 408", { timeout: 20_000 }, async () => {
    const { port } = await front({ bodyIdleTimeoutMs: 300 });
    const s = await open(port);
    const reply = replyOf(s);
    s.write(`${jsonCall(50)}{"MaxRes`);
    const r = await reply;
    assert.equal(r.status, 408);
    assert.match(JSON.parse(r.body).message, /no byte for 0\.3 s \(SAGEBREW_BODY_IDLE_TIMEOUT\)/);
  });

  it(
    "answers a call on a connection over the cap with 503 ServiceUnavailable",
    { timeout: 20_000 },
    async () => {
      const { f, port } = await front({ maxConnections: 1 });
      const holder = await open(port);
      holder.write(`${jsonCall(50)}{`);
      while (f.connections < 1) await new Promise((r) => setTimeout(r, 5));
      const s = await open(port);
      const reply = replyOf(s);
      s.write(`${jsonCall(2)}{}`);
      const r = await reply;
      assert.equal(r.status, 503);
      assert.match(r.headers, /x-amzn-errortype: serviceunavailable/);
      assert.match(r.headers, /connection: close/);
      assert.match(JSON.parse(r.body).message, /holds 1 connections, its limit \(SAGEBREW_MAX_CONNECTIONS\)/);
      holder.destroy();
    },
  );
});

describe("sagebrew local's listener and bodies over the limit", () => {
  /** POSTs `size` bytes of JSON 1.1 (streamed in 1 MiB chunks) and reads the answer whole. */
  function post(port: number, size: number) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/",
            headers: {
              "content-type": "application/x-amz-json-1.1",
              "x-amz-target": "SageMaker.CreateModel",
              "content-length": size,
            },
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (c: string) => {
              body += c;
            });
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          },
        );
        req.on("error", reject);
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const write = () => {
          while (sent < size) {
            const n = Math.min(chunk.length, size - sent);
            sent += n;
            if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
              return void req.once("drain", write);
          }
          req.end();
        };
        write();
      },
    );
  }

  it("answers a 9 MB JSON 1.1 body with 413 in JSON 1.1, after reading it, instead of a reset", async () => {
    const { port } = await front({});
    const r = await post(port, 9 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.equal(r.headers["x-amzn-errortype"], "RequestEntityTooLargeException");
    assert.equal(r.headers.connection, "close");
    const body = JSON.parse(r.body) as { __type: string; message: string };
    assert.equal(body.__type, "RequestEntityTooLargeException");
    assert.match(
      body.message,
      /^The request body is larger than 8388608 bytes \(\d+ bytes or more were sent\)/,
    );
  });

  it("answers 413 at once to a body declared larger than it would ever read", async () => {
    const { port } = await front({});
    const socket = await open(port);
    const reply = replyOf(socket);
    socket.write(
      "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: SageMaker.CreateModel\r\ncontent-length: 1000000000\r\n\r\n{",
    );
    const r = await reply;
    assert.equal(r.status, 413);
    assert.match(r.body, /"__type":"RequestEntityTooLargeException"/);
  });
});

describe("sagebrew local's listener names itself", () => {
  /** The raw header lines of one answer (names lower-cased), read off the socket. */
  async function headersOf(port: number, head: string): Promise<{ status: number; lines: string[] }> {
    const socket = await open(port);
    const reply = replyOf(socket);
    socket.write(head);
    const r = await reply;
    return { status: r.status, lines: r.headers.split("\r\n").slice(1) };
  }

  it("puts x-sagebrew-local once on every answer, however the answer writes its headers", async () => {
    const f = createFront({
      services: { SageMaker: () => ({}) },
      // Three ways an answer writes its head: a flat list, a status text and a list of pairs, none.
      runtime: (req, res) => {
        req.resume();
        if (req.url === "/endpoints/flat/invocations") res.writeHead(200, ["content-type", "text/csv"]);
        else if (req.url === "/endpoints/pairs/invocations")
          res.writeHead(200, "Fine", [["content-type", "text/csv"]]);
        else if (req.url !== "/endpoints/implicit/invocations") return false;
        res.end("0\n");
        return true;
      },
      identity: "9.9.9",
      warn: () => {},
      limits: LIMITS,
    });
    fronts.push(f);
    await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
    const port = (f.server.address() as AddressInfo).port;
    const invoke = (name: string, host = "127.0.0.1") =>
      `POST /endpoints/${name}/invocations HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    const answers = [
      ["flat", await headersOf(port, invoke("flat")), 200],
      ["pairs", await headersOf(port, invoke("pairs")), 200],
      ["implicit", await headersOf(port, invoke("implicit")), 200],
      [
        "JSON 1.1",
        await headersOf(
          port,
          `${jsonCall(2)}Connection: close\r\n\r\n{}`.replace("\r\n\r\nConnection", "\r\nConnection"),
        ),
        200,
      ],
      ["not found", await headersOf(port, invoke("nothing")), 404],
      ["refused", await headersOf(port, invoke("flat", "evil.example")), 403],
    ] as const;
    for (const [what, answer, status] of answers) {
      assert.equal(answer.status, status, what);
      assert.deepEqual(
        answer.lines.filter((l) => l.startsWith("x-sagebrew-local:")),
        ["x-sagebrew-local: 9.9.9"],
        `${what}: ${answer.lines.join(" | ")}`,
      );
    }
    assert.ok(answers[0][1].lines.includes("content-type: text/csv"));
    assert.ok(answers[1][1].lines.includes("content-type: text/csv"));
  });
});
