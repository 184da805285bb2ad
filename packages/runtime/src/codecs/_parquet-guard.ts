/**
 * Sanity checks on a Parquet file's page headers before hyparquet decodes the pages. hyparquet
 * trusts the counts in page headers: a corrupt `num_values` makes it fill arrays of billions of
 * entries (minutes of CPU, effectively a hang). Walking the headers first, with hyparquet's own
 * thrift reader, turns such files into a clear error. Private to `codecs/`.
 */
import type { FileMetaData } from "hyparquet";
import { getColumnRange } from "hyparquet/src/plan.js";
import { deserializeTCompactProtocol } from "hyparquet/src/thrift.js";

// biome-ignore lint/suspicious/noExplicitAny: thrift structs are untyped field maps
type Thrift = Record<string, any>;

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Returns a description of the first implausible page header, or undefined when all look sane. */
export function checkPageHeaders(buffer: ArrayBuffer, metadata: FileMetaData): string | undefined {
  for (const [g, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      const name = meta.path_in_schema.join(".");
      const where = `column ${JSON.stringify(name)} of row group ${g + 1}`;
      const { startByte, endByte } = getColumnRange(meta);
      if (!(startByte >= 0 && endByte <= buffer.byteLength && startByte <= endByte)) {
        return `${where} lies outside the file (bytes ${startByte}–${endByte} of ${buffer.byteLength})`;
      }
      const reader = { view: new DataView(buffer, startByte, endByte - startByte), offset: 0 };
      const length = endByte - startByte;
      let values = 0;
      const declared = Number(meta.num_values);
      while (reader.offset < length - 1 && values < declared) {
        const at = startByte + reader.offset;
        let h: Thrift;
        try {
          h = deserializeTCompactProtocol(reader) as Thrift;
        } catch (e) {
          return `${where}: unreadable page header at byte ${at}: ${(e as Error).message}`;
        }
        const compressed = h.field_3;
        const uncompressed = h.field_2;
        if (!isCount(compressed) || reader.offset + compressed > length) {
          return `${where}: page at byte ${at} claims ${String(compressed)} bytes, more than its column chunk holds`;
        }
        if (!isCount(uncompressed) || uncompressed > compressed * 64 + 4096) {
          return `${where}: page at byte ${at} claims an implausible uncompressed size ${String(uncompressed)}`;
        }
        const data: Thrift | undefined = h.field_5 ?? h.field_8;
        const dict: Thrift | undefined = h.field_7;
        if (data) {
          const n = data.field_1;
          if (!isCount(n) || n > groupRows || values + n > declared) {
            return `${where}: page at byte ${at} claims ${String(n)} values, the row group has ${groupRows} rows`;
          }
          if (
            h.field_8 &&
            !(isCount(data.field_5) && isCount(data.field_6) && data.field_5 + data.field_6 <= compressed)
          ) {
            return `${where}: page at byte ${at} has level lengths that do not fit the page`;
          }
          values += n;
        } else if (dict && !(isCount(dict.field_1) && dict.field_1 <= uncompressed)) {
          return `${where}: dictionary page at byte ${at} claims ${String(dict.field_1)} values in ${uncompressed} bytes`;
        }
        reader.offset += compressed;
      }
    }
  }
  return undefined;
}
