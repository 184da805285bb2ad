// The machine's limit for the serving benchmark: one Node process, node:http, reads the request
// body and answers a constant. Plain JavaScript (no tsx) so its cold start is Node's own.
// usage: PORT=NNNN node bench/servers/bare.mjs
import { createServer } from "node:http";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("PORT must name a free port\n");
  process.exit(2);
}
const answer = Buffer.from("setosa\n");
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/csv", "content-length": answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
