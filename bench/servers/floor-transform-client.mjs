// The least a batch transform of the container contract must do with two Node processes (issue 22's
// batch transform floor, beside bench/transform-floor.mjs's parts): this client starts
// bench/servers/floor-xgboost.mjs as the model server (as `sagebrew transform` starts `serve`),
// polls /ping, splits the input into whole lines of at most 6 MiB, POSTs them 2 in flight on
// keep-alive connections, joins the answers in order, writes OUTPUT once, then stops the server and
// waits for it (as `sagebrew transform` does). No retries, no progress, no checks beyond the status:
// not a tool to use, a floor to compare with. bench/transform.ts runs it beside `sagebrew transform`.
//   node bench/servers/floor-transform-client.mjs INPUT OPT_ML OUTPUT [NAME=VALUE…]  (the server's env)
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { freePort, ping } from "../lib/net.mjs";

const [input, optMl, output, ...envArgs] = process.argv.slice(2);
const port = await freePort();
const server = spawn(process.execPath, [join(import.meta.dirname, "floor-xgboost.mjs")], {
  env: {
    ...process.env,
    SAGEMAKER_BASE_DIR: optMl,
    SAGEMAKER_BIND_TO_PORT: String(port),
    ...Object.fromEntries(envArgs.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
  },
  stdio: ["ignore", "inherit", "inherit"],
});
const agent = new Agent({ keepAlive: true, maxSockets: 2 });
const call = (path, body) =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setHeader("content-type", "text/csv");
    req.end(body);
  });
const bytes = readFileSync(input);
const limit = 6 * 1024 * 1024;
const bodies = [];
for (let at = 0; at < bytes.length; ) {
  let end = Math.min(at + limit, bytes.length);
  if (end < bytes.length) end = bytes.lastIndexOf(10, end - 1) + 1;
  bodies.push(bytes.subarray(at, end));
  at = end;
}
while (!(await ping(port))) await new Promise((r) => setTimeout(r, 5));
const answers = new Array(bodies.length);
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < bodies.length) {
      const i = next++;
      const r = await call("/invocations", bodies[i]);
      if (r.status !== 200) throw new Error(`request ${i}: ${r.status} ${r.body}`);
      answers[i] = r.body;
    }
  }),
);
writeFileSync(output, Buffer.concat(answers));
agent.destroy();
const exited = new Promise((resolve) => server.on("exit", resolve));
server.kill("SIGTERM");
await exited;
