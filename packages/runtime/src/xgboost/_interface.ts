/** Builds XGBoost `__array_interface__` JSON strings for typed arrays (private to this folder). */
import type { XGBoostApi } from "./_library.js";

type Typed = Float32Array | Float64Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array;

function typestr(view: Typed): string {
  if (view instanceof Float32Array) return "<f4";
  if (view instanceof Float64Array) return "<f8";
  if (view instanceof Uint32Array) return "<u4";
  if (view instanceof Int32Array) return "<i4";
  if (view instanceof BigUint64Array) return "<u8";
  return "<i8";
}

/** The array interface of `view` seen as `shape` (row-major). */
export function arrayInterface(api: XGBoostApi, view: Typed, shape: readonly number[]): string {
  // Touching .buffer moves a small on-heap typed array off the V8 heap, so its address stays put.
  void view.buffer;
  const address = view.length === 0 ? 0 : api.addressOf(view);
  return `{"data":[${address},true],"shape":[${shape.join(",")}],"typestr":"${typestr(view)}","version":3}`;
}

/** Formats a config object as JSON, writing non-finite numbers the way XGBoost's parser reads them. */
export function configJson(config: Record<string, number | boolean | string>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    let value: string;
    if (typeof v === "number")
      value = Number.isNaN(v) ? "NaN" : Number.isFinite(v) ? String(v) : v > 0 ? "Infinity" : "-Infinity";
    else value = JSON.stringify(v);
    parts.push(`${JSON.stringify(k)}:${value}`);
  }
  return `{${parts.join(",")}}`;
}
