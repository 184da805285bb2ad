/**
 * Loads libxgboost once, lazily, and declares the C API through koffi. Handles are declared as
 * `uintptr_t` (plain numbers) rather than opaque pointers so that worker threads can share them:
 * XGBoost's prediction is thread-safe and one booster serves every thread.
 * Nothing outside this folder sees a raw address.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { SagebrewError } from "../errors/index.js";

const require = createRequire(import.meta.url);
type Koffi = typeof import("koffi");

// biome-ignore lint/suspicious/noExplicitAny: koffi functions are variadic by nature.
type Fn = (...args: any[]) => any;

export interface XGBoostApi {
  readonly path: string;
  readonly version: readonly [number, number, number];
  readonly koffi: Koffi;
  readonly fn: Record<string, Fn>;
  /** koffi prototypes of the data-iterator callbacks. */
  readonly callbacks: { readonly reset: unknown; readonly next: unknown };
  /** Address of a typed array's first element (the array must be backed by an explicit ArrayBuffer). */
  addressOf(view: ArrayBufferView): number;
  /** Returns freed native heap memory to the OS (glibc `malloc_trim`); a no-op elsewhere. */
  trimHeap(): void;
  /** Native allocations of at least `bytes` bytes get pages of their own (glibc `mallopt`); a no-op elsewhere. */
  mapFrom(bytes: number): void;
  /** Copies `bytes` bytes from a library-owned address into `dst`. */
  copyFrom(dst: ArrayBufferView, address: number, bytes: number): void;
  /** True when the library has XGBoost's own tracker (`XGTrackerCreate`, 2.1 and newer). */
  readonly hasTracker: boolean;
}

/** glibc's `mallopt` parameter for the size from which an allocation is its own mapping. */
const M_MMAP_THRESHOLD = -3;

const DECLARATIONS = [
  "const char* XGBGetLastError()",
  "void XGBoostVersion(_Out_ int* major, _Out_ int* minor, _Out_ int* patch)",
  "int XGBSetGlobalConfig(const char* config)",
  "int XGDMatrixCreateFromDense(const char* data, const char* config, _Out_ uintptr_t* out)",
  "int XGDMatrixCreateFromCSR(const char* indptr, const char* indices, const char* data, uint64_t ncol, const char* config, _Out_ uintptr_t* out)",
  "int XGDMatrixSetFloatInfo(uintptr_t handle, const char* field, const float* array, uint64_t len)",
  "int XGDMatrixNumRow(uintptr_t handle, _Out_ uint64_t* out)",
  "int XGDMatrixNumCol(uintptr_t handle, _Out_ uint64_t* out)",
  "int XGDMatrixFree(uintptr_t handle)",
  "int XGBoosterCreate(const uintptr_t* dmats, uint64_t len, _Out_ uintptr_t* out)",
  "int XGBoosterFree(uintptr_t handle)",
  "int XGBoosterSetParam(uintptr_t handle, const char* name, const char* value)",
  "int XGBoosterUpdateOneIter(uintptr_t handle, int iter, uintptr_t dtrain)",
  "int XGBoosterEvalOneIter(uintptr_t handle, int iter, const uintptr_t* dmats, const char** names, uint64_t len, _Out_ const char** out)",
  "int XGBoosterPredictFromDMatrix(uintptr_t handle, uintptr_t dmat, const char* config, _Out_ uintptr_t* shape, _Out_ uint64_t* dim, _Out_ uintptr_t* result)",
  "int XGBoosterPredictFromDense(uintptr_t handle, const char* values, const char* config, uintptr_t proxy, _Out_ uintptr_t* shape, _Out_ uint64_t* dim, _Out_ uintptr_t* result)",
  "int XGBoosterPredictFromCSR(uintptr_t handle, const char* indptr, const char* indices, const char* values, uint64_t ncol, const char* config, uintptr_t proxy, _Out_ uintptr_t* shape, _Out_ uint64_t* dim, _Out_ uintptr_t* result)",
  "int XGBoosterSaveModelToBuffer(uintptr_t handle, const char* config, _Out_ uint64_t* len, _Out_ uintptr_t* data)",
  "int XGBoosterLoadModelFromBuffer(uintptr_t handle, const void* buf, uint64_t len)",
  "int XGBoosterUnserializeFromBuffer(uintptr_t handle, const void* buf, uint64_t len)",
  "int XGBoosterGetNumFeature(uintptr_t handle, _Out_ uint64_t* out)",
  "int XGBoosterBoostedRounds(uintptr_t handle, _Out_ int* out)",
  "int XGBoosterSetAttr(uintptr_t handle, const char* key, const char* value)",
  "int XGBoosterGetAttr(uintptr_t handle, const char* key, _Out_ const char** out, _Out_ int* success)",
  "int XGBoosterSaveJsonConfig(uintptr_t handle, _Out_ uint64_t* len, _Out_ const char** out)",
  "int XGBoosterSlice(uintptr_t handle, int begin, int end, int step, _Out_ uintptr_t* out)",
  "int XGProxyDMatrixCreate(_Out_ uintptr_t* out)",
  "int XGProxyDMatrixSetDataDense(uintptr_t handle, const char* data)",
  "int XGQuantileDMatrixCreateFromCallback(uintptr_t iter, uintptr_t proxy, uintptr_t ref, DataIterResetCallback* reset, XGDMatrixCallbackNext* next, const char* config, _Out_ uintptr_t* out)",
  // The collective (1.7 and newer): per thread, so every call of a distributed job runs on one thread.
  "int XGCommunicatorInit(const char* config)",
  "int XGCommunicatorFinalize()",
  "int XGCommunicatorGetRank()",
  "int XGCommunicatorGetWorldSize()",
  "int XGCommunicatorAllreduce(_Inout_ void* buffer, size_t count, int dtype, int op)",
  "int XGCommunicatorBroadcast(_Inout_ void* buffer, size_t size, int root)",
] as const;

/** XGBoost's own tracker, in 2.1 and newer; older libraries get sagebrew's (`_rabit-tracker.ts`). */
const TRACKER_DECLARATIONS = [
  "int XGTrackerCreate(const char* config, _Out_ uintptr_t* out)",
  "int XGTrackerWorkerArgs(uintptr_t handle, _Out_ const char** args)",
  "int XGTrackerRun(uintptr_t handle, const char* config)",
  "int XGTrackerWaitFor(uintptr_t handle, const char* config)",
  "int XGTrackerFree(uintptr_t handle)",
] as const;

/** Library names tried, in order, when `XGBOOST_LIBRARY_PATH` is not set. */
export const DEFAULT_LIBRARY_NAMES = [
  "libxgboost.so.0", // Debian/Ubuntu libxgboost0 (XGBoost 1.x–3.0)
  "libxgboost.so.3", // Debian libxgboost3 (XGBoost 3.1 and newer, named after the soname)
  "libxgboost.so",
  "/usr/lib/x86_64-linux-gnu/libxgboost.so.0",
  "/usr/lib/x86_64-linux-gnu/libxgboost.so.3",
  "/usr/lib/aarch64-linux-gnu/libxgboost.so.0",
  "/usr/lib/aarch64-linux-gnu/libxgboost.so.3",
  "/usr/local/lib/libxgboost.so",
  "/opt/homebrew/lib/libxgboost.dylib",
  "/usr/local/lib/libxgboost.dylib",
  "libxgboost.dylib",
];

export const INSTALL_HINT =
  "install it with `apt-get install libxgboost0` (Debian/Ubuntu), or point XGBOOST_LIBRARY_PATH at a libxgboost.so or .dylib " +
  "(for a pip-installed xgboost: python3 -c 'import xgboost.libpath as l; print(l.find_lib_path()[0])')";

let cached: XGBoostApi | undefined;

/** Loads the library (once per thread). Throws SB_XGBOOST_MISSING with the install command. */
export function loadXGBoost(libraryPath: string | undefined = process.env.XGBOOST_LIBRARY_PATH): XGBoostApi {
  if (cached && (libraryPath === undefined || libraryPath === "" || cached.path === libraryPath))
    return cached;
  const koffi = require("koffi") as Koffi;
  const candidates = libraryPath ? [libraryPath] : DEFAULT_LIBRARY_NAMES;
  if (libraryPath?.includes("/") && !existsSync(libraryPath)) {
    throw new SagebrewError(
      "SB_XGBOOST_MISSING",
      `Cannot load XGBoost: XGBOOST_LIBRARY_PATH=${libraryPath} does not exist; ${INSTALL_HINT}`,
    );
  }
  const failures: string[] = [];
  let lib: ReturnType<Koffi["load"]> | undefined;
  let path = "";
  for (const candidate of candidates) {
    try {
      lib = koffi.load(candidate);
      path = candidate;
      break;
    } catch (e) {
      failures.push(`${candidate}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  if (!lib) {
    throw new SagebrewError(
      "SB_XGBOOST_MISSING",
      `Cannot load XGBoost: no libxgboost found (${failures.length} places tried); ${INSTALL_HINT}`,
    );
  }
  // Callback types of the data-iterator API (XGQuantileDMatrixCreateFromCallback).
  const callbacks = {
    reset: koffi.proto("void DataIterResetCallback(uintptr_t iter)"),
    next: koffi.proto("int XGDMatrixCallbackNext(uintptr_t iter)"),
  };
  const fn: Record<string, Fn> = {};
  for (const decl of DECLARATIONS) {
    const name = /\s\**(\w+)\(/.exec(decl)?.[1];
    if (!name) throw new Error(`bad declaration ${decl}`);
    try {
      fn[name] = lib.func(decl) as Fn;
    } catch (e) {
      throw new SagebrewError(
        "SB_XGBOOST_MISSING",
        `Cannot load XGBoost from ${path}: the library lacks ${name} (sagebrew needs XGBoost 1.7 or newer); ${INSTALL_HINT}`,
        { cause: e },
      );
    }
  }
  let hasTracker = true;
  for (const decl of TRACKER_DECLARATIONS) {
    const name = /\s\**(\w+)\(/.exec(decl)![1]!;
    try {
      fn[name] = lib.func(decl) as Fn;
    } catch {
      hasTracker = false;
    }
  }
  const major = [0];
  const minor = [0];
  const patch = [0];
  fn.XGBoostVersion!(major, minor, patch);
  const version = [major[0]!, minor[0]!, patch[0]!] as const;
  if (version[0] < 1 || (version[0] === 1 && version[1] < 7)) {
    throw new SagebrewError(
      "SB_XGBOOST_MISSING",
      `Cannot use XGBoost ${version.join(".")} from ${path}: sagebrew needs XGBoost 1.7 or newer; ${INSTALL_HINT}`,
    );
  }
  // Address-of and copy-out helpers from libc; the XGBoost library already links it.
  const libc = koffi.load(process.platform === "darwin" ? "libc.dylib" : "libc.so.6");
  const memmoveAddr = libc.func("uintptr_t memmove(void* dst, const void* src, size_t n)") as Fn;
  const memcpyFrom = libc.func("void* memcpy(void* dst, uintptr_t src, size_t n)") as Fn;
  let mallocTrim: Fn | undefined;
  let mallopt: Fn | undefined;
  try {
    mallocTrim = libc.func("int malloc_trim(size_t pad)") as Fn;
    mallopt = libc.func("int mallopt(int param, int value)") as Fn;
  } catch {
    mallocTrim = undefined; // not glibc
    mallopt = undefined;
  }
  cached = Object.freeze({
    path,
    version,
    koffi,
    fn,
    callbacks,
    addressOf: (view: ArrayBufferView) => memmoveAddr(view, view, 0) as number,
    trimHeap: () => {
      mallocTrim?.(0);
    },
    mapFrom: (bytes: number) => {
      mallopt?.(M_MMAP_THRESHOLD, bytes);
    },
    copyFrom: (dst: ArrayBufferView, address: number, bytes: number) => {
      if (bytes > 0) memcpyFrom(dst, address, bytes);
    },
    hasTracker,
  });
  return cached;
}

/**
 * XGBoost's last-error text without the native backtrace it appends (`Stack trace:` and a line per
 * C++ frame): the message is for the user, one line.
 */
function lastErrorText(api: XGBoostApi): string {
  const text = String(api.fn.XGBGetLastError!() ?? "");
  const at = text.search(/\n\s*Stack trace:/);
  return (at >= 0 ? text.slice(0, at) : text).trim().replace(/\s*\n\s*/g, " ");
}

/** Checks an XGBoost return code; on failure throws with XGBoost's own last-error text. */
export function check(api: XGBoostApi, rc: number, what: string): void {
  if (rc === 0) return;
  const text = lastErrorText(api);
  throw new SagebrewError("SB_XGBOOST", `XGBoost failed to ${what}: ${text || `return code ${rc}`}`);
}
