/**
 * Finds the handler `serve` runs: `SAGEBREW_HANDLER` (a module path), else
 * `<model dir>/code/handler.js` or `handler.mjs`, else the project's declared handler
 * (`package.json` → `sagebrew.handler`), else the built-in one (XGBoost). A handler module exports
 * the handler object as `default` or as `handler`.
 */
import { access } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SagebrewError } from "../errors/index.js";
import { type CheckedHandler, checkHandler, type ModelHandler } from "./handler.js";

/** Options of `resolveHandler`. */
export interface ResolveHandlerOptions {
  /** `SAGEBREW_HANDLER`, if set. */
  readonly handlerModule: string | undefined;
  /** The model directory, searched for `code/handler.js` / `code/handler.mjs`. */
  readonly modelDir: string;
  /** The project's declared handler module (absolute), if any. */
  readonly projectHandler?: string | undefined;
  /** The handler used when no module names one. */
  readonly builtin: () => ModelHandler<never, never, never> | ModelHandler;
  /** Base for a relative `handlerModule`. Default `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Imports and checks the handler `serve` should run; says where it came from.
 *
 * @throws SagebrewError SB_HANDLER_INVALID when the module cannot be imported or has a wrong shape.
 */
export async function resolveHandler(
  options: ResolveHandlerOptions,
): Promise<{ handler: CheckedHandler; source: string }> {
  const candidates = options.handlerModule
    ? [moduleSpecifier(options.handlerModule, options.cwd ?? process.cwd())]
    : [];
  if (candidates.length === 0) {
    for (const name of ["handler.js", "handler.mjs"]) {
      const path = join(options.modelDir, "code", name);
      if (await exists(path)) {
        candidates.push(pathToFileURL(path).href);
        break;
      }
    }
  }
  if (candidates.length === 0 && options.projectHandler)
    candidates.push(pathToFileURL(options.projectHandler).href);
  const spec = candidates[0];
  if (spec === undefined) {
    const builtin = options.builtin() as ModelHandler;
    return { handler: checkHandler(builtin, builtin.name ?? "built-in"), source: builtin.name ?? "built-in" };
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new SagebrewError("SB_HANDLER_INVALID", `Cannot import handler ${spec}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const value = mod.default ?? mod.handler;
  if (value === undefined) {
    throw new SagebrewError(
      "SB_HANDLER_INVALID",
      `Cannot use handler ${spec}: it exports neither default nor handler (write export default defineHandler({ … }))`,
    );
  }
  return { handler: checkHandler(value, spec), source: spec };
}

function moduleSpecifier(name: string, cwd: string): string {
  if (isAbsolute(name)) return pathToFileURL(name).href;
  if (name.startsWith(".")) return pathToFileURL(resolve(cwd, name)).href;
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
