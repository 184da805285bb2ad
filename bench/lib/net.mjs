// What the plain-JavaScript bench scripts (run with `node`, no tsx) share to start and watch a
// server: bench/lib/proc.ts has the same for the TypeScript ones.
import { request } from "node:http";
import { createServer } from "node:net";

/** A port free on 127.0.0.1 now (the OS picks it; closed again before it is returned). */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Whether `GET /ping` on 127.0.0.1:`port` answers 200 (false while nothing listens). */
export const ping = (port) =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/ping" }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
