// The floors of the `sagebrew local` benchmark: the least a Node process can do to forward an
// invocation to a container, so that the runtime front's CPU per request has something honest to be
// compared with. Plain JavaScript (no tsx), no checks, no headers of SageMaker's.
//   MODE=http: node:http server → node:http client with a keep-alive agent to the container's
//              /invocations, bodies piped both ways (what a minimal HTTP reverse proxy does);
//   MODE=tcp:  bytes relayed between the client's connection and one connection to the container,
//              no HTTP parsing at all (below what any HTTP front can do).
// usage: PORT=NNNN UPSTREAM_PORT=MMMM MODE=http|tcp node bench/servers/proxy.mjs
import { Agent, createServer, request } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";

const port = Number(process.env.PORT);
const upstream = Number(process.env.UPSTREAM_PORT);
const mode = process.env.MODE ?? "http";
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(upstream) || upstream <= 0) {
  process.stderr.write("PORT and UPSTREAM_PORT must name ports\n");
  process.exit(2);
}

let server;
if (mode === "tcp") {
  server = createTcpServer((client) => {
    const up = connect(upstream, "127.0.0.1");
    client.setNoDelay(true);
    up.setNoDelay(true);
    client.pipe(up).on("error", () => client.destroy());
    up.pipe(client).on("error", () => up.destroy());
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
  });
} else if (mode === "http") {
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  server = createServer((req, res) => {
    const headers = { "content-length": req.headers["content-length"] ?? "0" };
    if (req.headers["content-type"] !== undefined) headers["content-type"] = req.headers["content-type"];
    if (req.headers.accept !== undefined) headers.accept = req.headers.accept;
    const up = request(
      { host: "127.0.0.1", port: upstream, path: "/invocations", method: "POST", headers, agent },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, {
          "content-type": ures.headers["content-type"] ?? "application/octet-stream",
          ...(ures.headers["content-length"] !== undefined
            ? { "content-length": ures.headers["content-length"] }
            : {}),
        });
        ures.pipe(res);
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 65_000;
} else {
  process.stderr.write(`MODE must be http or tcp, got ${mode}\n`);
  process.exit(2);
}
server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
