/**
 * Per-record data processing of Batch Transform (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html): `InputFilter` before the request,
 * `JoinSource=Input` and `OutputFilter` after it. CSV records are arrays of fields; JSON records
 * are parsed values. Joined CSV appends the output's fields to the input row; joined JSON puts
 * the output under `SageMakerOutput` (or `{SageMakerInput, SageMakerOutput}` when the input is
 * not an object).
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { JsonPath } from "./jsonpath.js";

export type RecordFormat = "csv" | "json";

/** The record format of a media type (`text/csv` → csv, JSON and JSON Lines → json). */
export function recordFormat(mediaType: string): RecordFormat | undefined {
  const t = mediaType.split(";")[0]!.trim().toLowerCase();
  if (t === "text/csv") return "csv";
  if (t === "application/json" || t === "application/jsonlines" || t === "application/x-jsonlines")
    return "json";
  return undefined;
}

const dec = new TextDecoder();

/** Parses one record (a line). */
export function parseRecord(line: string, format: RecordFormat, what: string): unknown {
  if (format === "csv") return line.split(",");
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new SagebrewError("SB_TRANSFORM", `Cannot parse ${what} as JSON: ${(e as Error).message}`);
  }
}

/** Serializes one record back to a line. */
export function formatRecord(value: unknown, format: RecordFormat): string {
  if (format === "json") return JSON.stringify(value);
  const cells = Array.isArray(value) ? value : [value];
  return cells.map((c) => (typeof c === "string" ? c : JSON.stringify(c))).join(",");
}

export interface DataProcessing {
  readonly inputFilter?: JsonPath;
  readonly outputFilter?: JsonPath;
  readonly joinSource: "None" | "Input";
  readonly inputFormat: RecordFormat;
  readonly outputFormat: RecordFormat;
}

/** Applies `InputFilter` to one input line; returns the line to send. */
export function filterInput(line: Uint8Array, dp: DataProcessing, what: string): string {
  const text = dec.decode(line);
  if (!dp.inputFilter) return text;
  const v = dp.inputFilter.apply(parseRecord(text, dp.inputFormat, what));
  if (v === undefined) {
    throw new SagebrewError(
      "SB_TRANSFORM",
      `InputFilter ${dp.inputFilter.source} selects nothing from ${what}`,
    );
  }
  return formatRecord(v, dp.inputFormat);
}

/** Joins one output line with its input line and applies `OutputFilter`. */
export function joinOutput(input: Uint8Array, output: string, dp: DataProcessing, what: string): string {
  let v: unknown = parseRecord(output, dp.outputFormat, `the response for ${what}`);
  if (dp.joinSource === "Input") {
    const i = parseRecord(dec.decode(input), dp.inputFormat, what);
    if (dp.outputFormat === "csv") v = [...(Array.isArray(i) ? i : [i]), ...(Array.isArray(v) ? v : [v])];
    else if (i !== null && typeof i === "object" && !Array.isArray(i)) v = { ...i, SageMakerOutput: v };
    else v = { SageMakerInput: i, SageMakerOutput: v };
  }
  if (dp.outputFilter) {
    const f = dp.outputFilter.apply(v);
    if (f === undefined) {
      throw new SagebrewError(
        "SB_TRANSFORM",
        `OutputFilter ${dp.outputFilter.source} selects nothing from the output for ${what}`,
      );
    }
    v = f;
  }
  return formatRecord(v, dp.outputFormat);
}
