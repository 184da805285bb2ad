/** Free loopback ports for the containers `sagebrew local` starts. */
import { createServer } from "node:net";
import { LIMITS } from "@sagebrew/runtime/core";

/** A loopback port nobody listens on right now (never 8080, which a real container would take). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const a = s.address();
        s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    if (port > 0 && port !== LIMITS.defaultPort) return port;
  }
}
