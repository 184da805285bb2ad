// The least a Node server serving an XGBoost model through sagebrew's binding must do per request
// (issue 22's floor, run as a server so that its first seconds can be measured beside `serve`'s):
// node:http, the body read whole, parsed by sagebrew's CSV parser, predicted by libxgboost on the
// event loop (nthread 1, one call), the values written back as CSV lines. No walker, no pool, no
// content negotiation, no error handling beyond a 400: not a server to use, a floor to compare with.
// Plain JavaScript (no tsx) so its cold start is Node's own. Speaks the container contract's start
// (SAGEMAKER_BASE_DIR, SAGEMAKER_BIND_TO_PORT) so that bench/first-seconds.ts runs it as a variant:
//   node --import tsx bench/first-seconds.ts OPT_ML BODY.csv floor=bench/servers/floor-xgboost.mjs …
// The runtime is the built one of SAGEBREW_REPO (default this checkout).
// FLOOR_WALKER=generated: sagebrew's generated JavaScript walkers predict instead of libxgboost
// (what `serve` uses for small bodies once prepared), the floor of a server that walks the trees
// itself. A model whose .sagebrew.json names classes is answered as `serve` answers it by default:
// each row's class name (its largest margin's class; softmax keeps the order), one per line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";

const repo = resolve(process.env.SAGEBREW_REPO ?? join(import.meta.dirname, "..", ".."));
const dist = join(repo, "packages", "runtime", "dist");
const { Booster, XGBoostPool } = await import(join(dist, "xgboost", "index.js"));
const { parseCsv } = await import(join(dist, "codecs", "csv.js"));
const { compileTreeModel, readUbj } = await import(join(dist, "xgboost", "tree-predictor.js"));

const modelDir = join(process.env.SAGEMAKER_BASE_DIR ?? "/opt/ml", "model");
const file = readdirSync(modelDir).find((f) => !f.startsWith("."));
const meta = existsSync(join(modelDir, ".sagebrew.json"))
  ? JSON.parse(readFileSync(join(modelDir, ".sagebrew.json"), "utf8"))
  : {};
const names = Array.isArray(meta.class_names) ? meta.class_names.map((n) => `${n}\n`) : undefined;
const booster = await Booster.fromFile(join(modelDir, file));
booster.setParam("nthread", 1);
// FLOOR_POOL=N: every prediction on a pool of N threads (as `serve` sends large requests), to weigh
// the hop; FLOOR_NTHREAD: libxgboost's threads per call (default 1).
const poolThreads = Number(process.env.FLOOR_POOL ?? 0);
const onPool = poolThreads > 0;
if (onPool) booster.usePool(new XGBoostPool(poolThreads));
if (process.env.FLOOR_NTHREAD) booster.setParam("nthread", Number(process.env.FLOOR_NTHREAD));
const walker =
  process.env.FLOOR_WALKER === "generated" ? compileTreeModel(readUbj(booster.save("ubj"))) : undefined;
if (process.env.FLOOR_WALKER && !walker)
  throw new Error(`FLOOR_WALKER=${process.env.FLOOR_WALKER}: not compiled`);
const groups = walker ? walker.spec.groups : 0;
const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? process.env.PORT);

const server = createServer((req, res) => {
  if (req.url === "/ping") {
    req.resume();
    res.writeHead(200, { "content-length": 0 });
    res.end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const { features } = parseCsv(body, { source: "request body" });
      let out = "";
      if (walker && names) {
        const m = walker.margins(features.values, features.rows);
        for (let r = 0; r < features.rows; r++) {
          let best = 0;
          for (let g = 1; g < groups; g++) if (m[r * groups + g] > m[r * groups + best]) best = g;
          out += names[best];
        }
      } else {
        const { values } = walker
          ? { values: walker.predict(features.values, features.rows) }
          : onPool
            ? await booster.predictDenseAsync(features)
            : booster.predictDense(features);
        if (names) {
          const k = values.length / features.rows;
          for (let r = 0; r < features.rows; r++) {
            let best = 0;
            for (let g = 1; g < k; g++) if (values[r * k + g] > values[r * k + best]) best = g;
            out += names[best];
          }
        } else for (let i = 0; i < values.length; i++) out += `${values[i]}\n`;
      }
      res.writeHead(200, { "content-type": "text/csv", "content-length": Buffer.byteLength(out) });
      res.end(out);
    } catch (e) {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(`${e.message}\n`);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
