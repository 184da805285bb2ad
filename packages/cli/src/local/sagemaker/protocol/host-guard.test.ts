/**
 * The front serves only requests addressed to a loopback name (or an allowed one) and, from web
 * pages, only loopback origins: the guard's cases as a table, then over real sockets on port 0 for
 * every protocol the front serves, each refusal a 403 in that protocol's error format, logged.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, describe, it } from "node:test";
import type { GuardedServer } from "@sagebrew/runtime/core";
import { allowedHostName, checkBinding, createHostGuard, isLoopbackAddress } from "./_host-guard.js";
import { createFront } from "./listener.js";

describe("createHostGuard()", () => {
  const guard = createHostGuard(["my-laptop.lan", allowedHostName("fe80::1")]);
  const served = (host: string | undefined, origin?: string) => guard.check(host, origin) === undefined;

  it("serves loopback names and addresses, with or without a port", () => {
    for (const host of [
      "127.0.0.1",
      "127.0.0.1:8081",
      "127.3.2.1:1",
      "localhost",
      "LOCALHOST:8081",
      "localhost:8081",
      "bucket.localhost:8081",
      "a.b-c.localhost",
      "[::1]",
      "[::1]:8081",
      "[0:0:0:0:0:0:0:1]:80",
      "127.1",
      "my-laptop.lan:8081",
      "[fe80::1]:8081",
    ])
      assert.ok(served(host), host);
  });

  it("refuses every other Host, a malformed one, and none", () => {
    for (const host of [
      undefined,
      "",
      "evil.example",
      "evil.example:8081",
      "127.0.0.1.evil.example",
      "127.evil.example",
      "localhost.evil.example",
      "evillocalhost",
      "localhost.",
      ".localhost",
      "a..localhost",
      "0.0.0.0:8081",
      "10.0.0.5",
      "[::]",
      "[::ffff:127.0.0.1]",
      "evil.example@127.0.0.1",
      "127.0.0.1/x",
      "127.0.0.1:99999",
      "[::1",
      "::1",
      "bücher.localhost",
    ])
      assert.ok(!served(host), String(host));
  });

  it("serves loopback and allowed origins, http or https, any port", () => {
    for (const origin of [
      "http://localhost:3000",
      "http://127.0.0.1:8081",
      "http://127.9.9.9",
      "https://localhost",
      "http://[::1]:8888",
      "http://app.localhost:5173",
      "http://my-laptop.lan:8081",
    ])
      assert.ok(served("127.0.0.1:8081", origin), origin);
  });

  it("refuses any other origin, null, and what is not an origin", () => {
    for (const origin of [
      "null",
      "",
      "https://evil.example",
      "http://evil.example:8081",
      "http://127.0.0.1.evil.example",
      "file://",
      "ftp://localhost",
      "http://localhost:8081/path",
      "http://evil@localhost",
      "http://localhost:8081 http://evil.example",
    ])
      assert.ok(!served("127.0.0.1:8081", origin), origin);
  });

  it("words each refusal as one sentence naming the value and what to do", () => {
    assert.deepEqual(guard.check("evil.example:8081", undefined), {
      reason: "host",
      message:
        'Refused Host "evil.example:8081": sagebrew local answers only requests addressed to localhost, *.localhost, 127.0.0.1 (any 127.x.x.x) or [::1], so that no web page can reach it through DNS rebinding; to serve this name too, start sagebrew local with --allow-host evil.example.',
    });
    assert.match(guard.check(undefined, undefined)!.message, /^Refused a request without a Host header: /);
    assert.deepEqual(guard.check("localhost:8081", "https://evil.example"), {
      reason: "origin",
      message:
        'Refused Origin "https://evil.example": sagebrew local answers web pages only from loopback origins (http://localhost, http://127.0.0.1, http://[::1], any port), so that no other site can use it; to allow pages of this host, start sagebrew local with --allow-host evil.example.',
    });
    assert.match(guard.check("localhost", "null")!.message, /a sandboxed or file: page cannot be allowed\.$/);
  });

  it("remembers the last good Host without letting a bad one through after it", () => {
    const g = createHostGuard();
    assert.equal(g.check("127.0.0.1:1", undefined), undefined);
    assert.equal(g.check("127.0.0.1:1", undefined), undefined);
    assert.equal(g.check("evil.example:1", undefined)?.reason, "host");
    assert.equal(g.check("127.0.0.1:1", "https://evil.example")?.reason, "origin");
  });
});

describe("binding another interface", () => {
  it("knows loopback addresses from the others", () => {
    for (const a of ["127.0.0.1", "127.5.0.1", "localhost", "::1", "[::1]"])
      assert.ok(isLoopbackAddress(a), a);
    for (const a of ["0.0.0.0", "::", "192.168.1.5", "fe80::1", "example.com"])
      assert.ok(!isLoopbackAddress(a), a);
  });

  it("refuses a non-loopback --host without --allow-host, with a sentence", () => {
    assert.doesNotThrow(() => checkBinding("127.0.0.1", []));
    assert.doesNotThrow(() => checkBinding("0.0.0.0", ["my-laptop.lan"]));
    assert.throws(
      () => checkBinding("0.0.0.0", []),
      /^Error: Refusing to listen on 0\.0\.0\.0: .* --allow-host NAME .*anyone who can reach the port can run code on this machine$/,
    );
  });

  it("takes --allow-host names and addresses, not ports or URLs", () => {
    assert.equal(allowedHostName("My-Laptop.LAN"), "my-laptop.lan");
    assert.equal(allowedHostName("192.168.1.5"), "192.168.1.5");
    assert.equal(allowedHostName("fe80::1"), "[fe80::1]");
    for (const bad of ["my-laptop.lan:8081", "http://x", "", "a b", "x/y"])
      assert.throws(() => allowedHostName(bad), /is not a host name or an IP address/, bad);
  });
});

const fronts: GuardedServer[] = [];
after(async () => {
  await Promise.all(fronts.map((f) => f.close({ deadlineMs: 1000 })));
});

/** A front whose runtime route answers 200 "routed" (and counts), and whose services nothing reaches. */
async function front(allowHosts: readonly string[] = []) {
  const warnings: string[] = [];
  let routed = 0;
  const f = createFront({
    services: {},
    runtime: (_req, res) => {
      routed++;
      res.end("routed");
      return true;
    },
    warn: (m) => void warnings.push(m),
    limits: {
      headersTimeoutMs: 60_000,
      bodyIdleTimeoutMs: 60_000,
      bodyTimeoutMs: 600_000,
      maxConnections: 1000,
      rejectionLogLimit: 3,
    },
    allowHosts,
  });
  fronts.push(f);
  await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
  const port = (f.server.address() as AddressInfo).port;
  return { port, warnings, routed: () => routed };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  path: string,
  headers: Record<string, string>,
  body = "{}",
  method = "POST",
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const PROTOCOLS = [
  {
    name: "the SageMaker control plane (JSON 1.1)",
    path: "/",
    headers: { "x-amz-target": "SageMaker.CreateTrainingJob", "content-type": "application/x-amz-json-1.1" },
    json: true,
  },
  {
    name: "CloudWatch Logs (JSON 1.1)",
    path: "/",
    headers: { "x-amz-target": "Logs_20140328.GetLogEvents", "content-type": "application/x-amz-json-1.1" },
    json: true,
  },
  { name: "an unknown path", path: "/nothing", headers: {}, json: true },
  {
    name: "InvokeEndpoint (rest-json)",
    path: "/endpoints/e/invocations",
    headers: { "content-type": "text/csv" },
    json: false,
  },
  {
    name: "InvokeEndpointWithResponseStream (rest-json)",
    path: "/endpoints/e/invocations-response-stream",
    headers: { "content-type": "text/csv" },
    json: false,
  },
] as const;

describe("the front's one check, over real sockets", () => {
  for (const p of PROTOCOLS) {
    it(`refuses ${p.name} for Host evil.example with 403 in its format, before routing`, async () => {
      const { port, warnings, routed } = await front();
      const r = await send(port, p.path, { ...p.headers, host: "evil.example" });
      assert.equal(r.status, 403);
      assert.equal(r.headers["x-amzn-errortype"], "AccessDeniedException");
      const body = JSON.parse(r.body);
      const message =
        'Refused Host "evil.example": sagebrew local answers only requests addressed to localhost, *.localhost, 127.0.0.1 (any 127.x.x.x) or [::1], so that no web page can reach it through DNS rebinding; to serve this name too, start sagebrew local with --allow-host evil.example.';
      if (p.json) {
        assert.equal(r.headers["content-type"], "application/x-amz-json-1.1");
        assert.deepEqual(body, { __type: "AccessDeniedException", message });
      } else {
        assert.equal(r.headers["content-type"], "application/json");
        assert.deepEqual(body, { message, Message: message });
      }
      assert.equal(routed(), 0);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        /^request rejected: \{"status":403,"reason":"Refused Host \\"evil\.example\\"/,
      );
    });

    it(`refuses ${p.name} from Origin https://evil.example, serves it from a loopback origin`, async () => {
      const { port, routed } = await front();
      const bad = await send(port, p.path, { ...p.headers, origin: "https://evil.example" });
      assert.equal(bad.status, 403);
      assert.match(JSON.parse(bad.body).message, /^Refused Origin "https:\/\/evil\.example": /);
      const nul = await send(port, p.path, { ...p.headers, origin: "null" });
      assert.equal(nul.status, 403);
      assert.equal(routed(), 0);
      const good = await send(port, p.path, { ...p.headers, origin: "http://localhost:3000" });
      assert.notEqual(good.status, 403);
    });
  }

  it("routes loopback Hosts: JSON 1.1 to its operations, /endpoints/ to the runtime", async () => {
    const { port, routed } = await front();
    for (const host of ["127.0.0.1", `localhost:${port}`, `[::1]:${port}`, `bucket.localhost:${port}`]) {
      const r = await send(port, "/", { host, "x-amz-target": "Nothing.Here" });
      assert.equal(r.status, 400, host);
      assert.equal(JSON.parse(r.body).__type, "UnknownOperationException");
      const inv = await send(port, "/endpoints/e/invocations", { host });
      assert.equal(inv.body, "routed");
    }
    assert.equal(routed(), 4);
  });

  it("serves an allowed name and its pages, and still refuses others", async () => {
    const { port, routed } = await front(["my-laptop.lan"]);
    const r = await send(port, "/endpoints/e/invocations", {
      host: `my-laptop.lan:${port}`,
      origin: `http://my-laptop.lan:${port}`,
    });
    assert.equal(r.body, "routed");
    const other = await send(port, "/endpoints/e/invocations", { host: "other.lan" });
    assert.equal(other.status, 403);
    assert.equal(routed(), 1);
  });

  it("refuses an HTTP/1.0 request without a Host header", async () => {
    const { port, routed } = await front();
    const text = await new Promise<string>((resolve, reject) => {
      let got = "";
      const s = connect(port, "127.0.0.1", () => {
        s.write("POST /endpoints/e/invocations HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
      });
      s.setEncoding("utf8").on("data", (c: string) => {
        got += c;
      });
      s.on("error", reject);
      s.on("close", () => resolve(got));
    });
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.match(text, /Refused a request without a Host header/);
    assert.equal(routed(), 0);
  });

  it("logs refusals at a bounded rate", async () => {
    const { port, warnings } = await front();
    for (let i = 0; i < 6; i++) {
      const r = await send(port, "/", { host: `evil${i}.example`, "x-amz-target": "SageMaker.ListModels" });
      assert.equal(r.status, 403);
    }
    // rejectionLogLimit is 3 here: the rest are counted for the interval's summary line.
    assert.equal(warnings.length, 3);
  });
});
