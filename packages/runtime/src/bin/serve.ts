/**
 * The container's `serve` program. Exits 0 after SIGTERM once in-flight requests are answered
 * (well inside SageMaker's 30 s grace period); exits 1 when it cannot start or its model cannot be
 * loaded, with the reason as the last line of stderr (`serve: …`).
 */
import { runServe } from "./serve-main.js";

const STOP_DEADLINE_MS = 20_000;

try {
  const server = await runServe();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info("signal received", { signal });
    server.stop({ deadlineMs: STOP_DEADLINE_MS }).then(
      () => process.exit(0),
      (e) => {
        server.logger.error("stop failed", { error: e });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A model that cannot be loaded never will be: exit at once with the reason, so SageMaker fails
  // the endpoint now instead of after its health-check timeout, and a local caller knows why.
  server.ready.catch((e: unknown) => {
    if (stopping) return;
    stopping = true;
    server.stop({ deadlineMs: STOP_DEADLINE_MS }).finally(() => {
      process.stderr.write(`serve: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
  });
} catch (e) {
  process.stderr.write(`serve: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
