/**
 * Starts a worker thread from a module beside the caller. When running from TypeScript sources
 * (tests, `tsx`), the thread registers tsx before importing the `.ts` module.
 */
import { Worker } from "node:worker_threads";

/** `base` is the caller's `import.meta.url`; `name` the module's name without extension. */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  const fromSource = base.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, base);
  if (!fromSource) return new Worker(url, { workerData });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`;
  return new Worker(boot, { eval: true, workerData });
}
