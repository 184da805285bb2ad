import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type ResponseHandler, type UpstreamError, UpstreamPool } from "./_upstream.js";
import { callWhole, headerValue, requestHead } from "./_upstream-call.js";

let server: Server;
let port: number;
let connections = 0;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url === "/length") {
        res.writeHead(201, { "content-type": "text/plain", "x-extra": "1" });
        res.end(`got ${body.length} ${req.headers["content-type"]}`);
      } else if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.write("one,");
        setTimeout(() => {
          res.write("two,");
          setTimeout(() => res.end("three"), 10);
        }, 10);
      } else if (req.url === "/close") {
        res.writeHead(200, { connection: "close" });
        res.end("bye");
      } else if (req.url === "/slow") {
        setTimeout(() => res.end("late"), 2_000);
      } else if (req.url === "/empty") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(404);
        res.end("no such thing");
      }
    });
  });
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("UpstreamPool", () => {
  it("sends a body and reads a Content-Length answer, reusing one connection", async () => {
    const pool = new UpstreamPool(port);
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const r = await callWhole(pool, "POST", "/length", {
        body: Buffer.from("hello"),
        headers: { "content-type": "text/csv" },
        timeoutMs: 5000,
      });
      assert.equal(r.status, 201);
      assert.equal(r.body.toString(), "got 5 text/csv");
      assert.equal(headerValue(r.headers, "x-extra"), "1");
    }
    assert.equal(connections - before, 1);
    pool.close();
  });

  it("decodes a chunked answer, handing on each chunk as it comes", async () => {
    const pool = new UpstreamPool(port);
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const h: ResponseHandler = {
        onHead: (s) => assert.equal(s, 200),
        onData: (c) => chunks.push(c.toString()),
        onEnd: resolve,
        onError: reject,
      };
      pool.request(requestHead("GET", "/chunked", {}, 0), [], h, { timeoutMs: 5000 });
    });
    assert.deepEqual(chunks, ["one,", "two,", "three"]);
    assert.equal(
      (await callWhole(pool, "GET", "/chunked", { timeoutMs: 5000 })).body.toString(),
      "one,two,three",
    );
    pool.close();
  });

  it("handles Connection: close, 204 and error statuses, then keeps working", async () => {
    const pool = new UpstreamPool(port);
    assert.equal((await callWhole(pool, "GET", "/close", { timeoutMs: 5000 })).body.toString(), "bye");
    assert.equal((await callWhole(pool, "GET", "/empty", { timeoutMs: 5000 })).status, 204);
    const missing = await callWhole(pool, "GET", "/nothing", { timeoutMs: 5000 });
    assert.deepEqual([missing.status, missing.body.toString()], [404, "no such thing"]);
    assert.equal((await callWhole(pool, "POST", "/length", { timeoutMs: 5000 })).status, 201);
    pool.close();
  });

  it("ends a request that runs past its deadline with a timeout", async () => {
    const pool = new UpstreamPool(port);
    const e = (await callWhole(pool, "GET", "/slow", { timeoutMs: 300 }).catch((x) => x)) as UpstreamError;
    assert.equal(e.code, "timeout");
    assert.equal(e.started, false);
    pool.close();
  });

  it("retries once on a new connection when the container closed a kept-alive one", async () => {
    const pool = new UpstreamPool(port);
    assert.equal((await callWhole(pool, "POST", "/length", { timeoutMs: 5000 })).status, 201);
    // The server drops every idle connection, as a container does at its keep-alive timeout.
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await callWhole(pool, "POST", "/length", { timeoutMs: 5000 })).status, 201);
    pool.close();
  });

  it("reports a container that is not listening", async () => {
    const pool = new UpstreamPool(1);
    const e = (await callWhole(pool, "GET", "/ping", { timeoutMs: 5000 }).catch((x) => x)) as UpstreamError;
    assert.equal(e.code, "connect");
    pool.close();
  });
});
