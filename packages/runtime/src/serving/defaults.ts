/** The default `decode` (bytes → float32 Dataset) and `encode` (output → CSV, JSON or JSON Lines). */
import { parseCsv } from "../codecs/csv.js";
import { parseJsonLinesRows, parseJsonRows } from "../codecs/json-rows.js";
import { parseLibsvm } from "../codecs/libsvm.js";
import type { MediaType } from "../codecs/media-type.js";
import { type Cell, encodeCsv, encodeJson, encodeJsonLines } from "../codecs/predictions.js";
import type { Dataset } from "../codecs/types.js";
import { MEDIA } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";

const SOURCE = "request body";

/** Decodes a request body by its media type into a float32 Dataset (no label column). */
export function decodeDataset(body: Uint8Array, contentType: MediaType, minCols?: number): Dataset {
  switch (contentType.essence) {
    case MEDIA.csv:
      return parseCsv(body, { source: SOURCE });
    case MEDIA.json:
      return parseJsonRows(body, { source: SOURCE });
    case MEDIA.jsonlines:
      return parseJsonLinesRows(body, { source: SOURCE });
    case MEDIA.libsvm:
    case MEDIA.xLibsvm:
      return parseLibsvm(body, minCols === undefined ? { source: SOURCE } : { source: SOURCE, minCols });
    default:
      throw new SagebrewError(
        "SB_UNSUPPORTED_MEDIA_TYPE",
        `Cannot decode Content-Type ${contentType.essence}: the default decoder reads ${MEDIA.csv}, ${MEDIA.json}, ${MEDIA.jsonlines} and ${MEDIA.libsvm}`,
      );
  }
}

/** The records of an output: array items (typed arrays too), or the value itself. */
function records(output: unknown): unknown[] {
  if (Array.isArray(output)) return output;
  if (ArrayBuffer.isView(output) && !(output instanceof DataView)) {
    return Array.from(output as unknown as ArrayLike<number>);
  }
  return [output];
}

function plain(v: unknown): unknown {
  return ArrayBuffer.isView(v) && !(v instanceof DataView)
    ? Array.from(v as unknown as ArrayLike<number>)
    : v;
}

function row(record: unknown): Cell[] {
  const r = plain(record);
  if (Array.isArray(r)) return r.map((c) => cell(c));
  if (typeof r === "object" && r !== null) return Object.values(r).map((c) => cell(c));
  return [cell(r)];
}

function cell(v: unknown): Cell {
  const p = plain(v);
  if (p === null || p === undefined) return null;
  if (typeof p === "number" || typeof p === "string" || typeof p === "boolean") return p;
  if (Array.isArray(p) && p.every((x) => x === null || typeof x === "number" || typeof x === "string")) {
    return p as Cell;
  }
  return JSON.stringify(p) ?? "";
}

/** Encodes an output as the negotiated media type. */
export function encodeOutput(output: unknown, accept: string): string {
  switch (accept) {
    case MEDIA.json:
      return encodeJson(plain(output));
    case MEDIA.jsonlines:
      return encodeJsonLines(records(output).map(plain));
    case MEDIA.csv:
      return encodeCsv(records(output).map(row));
    default:
      throw new SagebrewError(
        "SB_NOT_ACCEPTABLE",
        `Cannot encode the output as ${accept}: the default encoder writes ${MEDIA.json}, ${MEDIA.csv} and ${MEDIA.jsonlines}`,
      );
  }
}
