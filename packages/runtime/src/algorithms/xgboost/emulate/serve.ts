/**
 * `/invocations` as SageMaker's XGBoost image answers it (`algorithm_mode/serve.py`'s Flask app and
 * `serve_utils.py`): an empty body is 204; the Content-Type is read by `get_content_type` (415 with
 * its text); CSV and libsvm are decoded as its own code decodes them; XGBoost predicts (400
 * `Unable to evaluate payload provided: …`); only then is Accept checked (406); the answer is
 * encoded as its code does — Python's numbers, `{"predictions": [{"score": …}]}`, one value per
 * line in batch, the selectable keys of `SAGEMAKER_INFERENCE_OUTPUT` with NaN for the ones the
 * objective lacks. The model's class names, sagebrew's addition, are not used.
 */
import { decodeRecordioProtobuf, encodeRecordioPredictions } from "../../../codecs/recordio-protobuf.js";
import type { CsrMatrix, DenseMatrix } from "../../../codecs/types.js";
import { isSagebrewError } from "../../../errors/index.js";
import type { InvocationContext, Payload } from "../../../serving/index.js";
import type { Prediction } from "../../../xgboost/index.js";
import type { XGBoostServingModel } from "../handler.js";
import { sniffDelimiter } from "./_csv.js";
import { floatRepr, PyException, pyFloat, pyInt } from "./_py.js";
import { parseHeader, upstreamFormat } from "./channels.js";
import { UpstreamError } from "./hyperparameters.js";

const SUPPORTED_ACCEPTS = [
  "application/json",
  "application/jsonlines",
  "application/x-recordio-protobuf",
  "text/csv",
];
const HTML = "text/html; charset=utf-8";

const answer = (status: number, body: string): Payload => ({ status, body, contentType: HTML });

/** Flask's Content-Type for a `mimetype` (Werkzeug adds the charset to text types). */
const mimetype = (accept: string) => (accept.startsWith("text/") ? `${accept}; charset=utf-8` : accept);

/** A Python exception's `type(e)` as the image prints it. */
const pyClass = (name: string) => `<class '${name}'>`;

/** `encoder.csv_to_dmatrix` of the stripped body: the sniffed delimiter (`,` when alphanumeric), "" as NaN. */
function decodeCsv(text: string): DenseMatrix {
  const first = text.split("\n")[0]!.slice(0, 512);
  let delimiter: string;
  try {
    delimiter = sniffDelimiter(first);
  } catch {
    throw new PyException("_csv.Error", "Could not determine delimiter");
  }
  if (/^[\p{L}\p{N}]$/u.test(delimiter)) delimiter = ",";
  const rows = text.split("\n").map((line) => line.split(delimiter).map((x) => (x === "" ? "nan" : x)));
  const cols = rows[0]!.length;
  if (rows.some((r) => r.length !== cols))
    throw new PyException(
      "ValueError",
      `setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (${rows.length},) + inhomogeneous part.`,
    );
  const values = new Float32Array(rows.length * cols);
  for (const [i, r] of rows.entries()) for (const [j, x] of r.entries()) values[i * cols + j] = pyFloat(x);
  return { kind: "dense", rows: rows.length, cols, values };
}

/** `serve_utils._get_sparse_matrix_from_libsvm`: every `col:value` item, the shape from the largest index. */
function decodeLibsvm(text: string): CsrMatrix {
  const entries: Array<[row: number, col: number, value: number]> = [];
  text.split("\n").forEach((line, row) => {
    for (const item of line.split(" ")) {
      if (!item.includes(":")) continue;
      const [col, value] = item.split(":") as [string, string];
      entries.push([row, Number(pyInt(col)), pyFloat(value)]);
    }
  });
  if (entries.length === 0)
    throw new PyException("ValueError", "cannot infer dimensions from zero sized index arrays");
  if (entries.some(([, c]) => c < 0)) throw new PyException("ValueError", "negative column index found");
  const rows = Math.max(...entries.map(([r]) => r)) + 1;
  const cols = Math.max(...entries.map(([, c]) => c)) + 1;
  // scipy's COO → CSR: by row, then column, duplicates summed
  const cells = new Map<number, number>();
  for (const [r, c, v] of entries) cells.set(r * cols + c, (cells.get(r * cols + c) ?? 0) + v);
  const keys = [...cells.keys()].sort((a, b) => a - b);
  const indptr = new Uint32Array(rows + 1);
  for (const k of keys) indptr[Math.floor(k / cols) + 1]!++;
  for (let i = 0; i < rows; i++) indptr[i + 1] = indptr[i + 1]! + indptr[i]!;
  return {
    kind: "csr",
    rows,
    cols,
    indptr,
    indices: Uint32Array.from(keys, (k) => k % cols),
    values: Float32Array.from(keys, (k) => cells.get(k)!),
  };
}

/** `serve_utils.parse_content_data`. @throws UpstreamError (415) with the image's text */
function parseContentData(body: Uint8Array, rawType: string | undefined): DenseMatrix | CsrMatrix {
  const format = upstreamFormat(rawType ?? null);
  const loading = (what: string, e: unknown, sep: string) => {
    const cls = e instanceof PyException ? e.pyClass : "ValueError";
    const msg = e instanceof Error ? e.message : String(e);
    return new UpstreamError(
      "UserError",
      `Loading ${what} data failed with Exception, please ensure data is in ${what} format:${sep}${pyClass(cls)}${sep}${msg}`,
    );
  };
  const text = () => new TextDecoder("utf-8").decode(body).trim();
  if (format === "csv") {
    try {
      return decodeCsv(text());
    } catch (e) {
      throw loading("csv", e, "\n ");
    }
  }
  if (format === "libsvm") {
    try {
      return decodeLibsvm(text());
    } catch (e) {
      throw loading("libsvm", e, "\n ");
    }
  }
  if (format === "recordio-protobuf") {
    try {
      return decodeRecordioProtobuf(body).features;
    } catch (e) {
      throw new UpstreamError(
        "UserError",
        `Loading recordio-protobuf data failed with Exception, please ensure data is in recordio-protobuf format: ${pyClass("RuntimeError")} ${(e as Error).message}`,
      );
    }
  }
  throw new UpstreamError("UserError", `Content-type ${rawType} is not supported.`);
}

/** `_parse_accept`: the first media type, or the default when none or `*∕*`. @throws UpstreamError (406) */
function parseAccept(header: string | undefined, fallback: string | undefined): string {
  const { type } = parseHeader(header ?? "");
  if (!type || type === "*/*") return fallback ?? "text/csv";
  if (!SUPPORTED_ACCEPTS.includes(type.toLowerCase())) {
    throw new UpstreamError(
      "UserError",
      `Accept type ${type} is not supported. Please use supported accept types: ['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', 'text/csv'].`,
    );
  }
  return type.toLowerCase();
}

/** Python ints (labels) are boxed so that `1` prints as `1` and the float `1.0` as `1.0`. */
class PyInt {
  constructor(readonly value: number) {}
}
function jsonFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return floatRepr(v);
}
const strValue = (v: unknown): string =>
  v instanceof PyInt
    ? String(v.value)
    : Array.isArray(v)
      ? `[${v.map(strValue).join(", ")}]`
      : floatRepr(v as number);
const jsonValue = (v: unknown): string =>
  v instanceof PyInt
    ? String(v.value)
    : Array.isArray(v)
      ? `[${v.map(jsonValue).join(", ")}]`
      : jsonFloat(v as number);

const VALID_OBJECTIVES: Readonly<Record<string, readonly string[]>> = {
  "reg:squarederror": ["predicted_score"],
  "reg:logistic": ["predicted_score"],
  "reg:gamma": ["predicted_score"],
  "reg:absoluteerror": ["predicted_score"],
  "reg:tweedie": ["predicted_score"],
  "binary:logistic": ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores"],
  "binary:logitraw": ["predicted_label", "labels", "raw_score", "raw_scores"],
  "binary:hinge": ["predicted_label", "labels", "raw_score", "raw_scores"],
  "multi:softmax": ["predicted_label", "labels", "raw_score", "raw_scores"],
  "multi:softprob": ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores"],
};
const KEY_ORDER = [
  "predicted_label",
  "labels",
  "probability",
  "probabilities",
  "raw_score",
  "raw_scores",
  "predicted_score",
];

/** `get_selected_predictions`: per row, the valid keys in the code's order, then NaN for the rest. */
function selected(
  rows: readonly (number | number[])[],
  keys: readonly string[],
  objective: string,
  numClass: number,
) {
  const valid = VALID_OBJECTIVES[objective];
  if (!valid)
    throw new UpstreamError(
      "AlgorithmError",
      `Objective \`${objective}\` unsupported for selectable inference predictions.`,
    );
  const f = (x: number) => Math.fround(x);
  return rows.map((raw) => {
    const out: Record<string, unknown> = {};
    const scalar = typeof raw === "number" ? raw : Number.NaN;
    const list = Array.isArray(raw) ? raw : [];
    for (const key of KEY_ORDER) {
      if (!keys.includes(key) || !valid.includes(key)) continue;
      const value: Record<string, () => unknown> = {
        predicted_label: () =>
          objective === "binary:hinge" || objective === "multi:softmax"
            ? f(scalar)
            : objective === "binary:logistic"
              ? new PyInt(scalar > 0.5 ? 1 : 0)
              : objective === "binary:logitraw"
                ? new PyInt(scalar > 0 ? 1 : 0)
                : new PyInt(list.indexOf(Math.max(...list))),
        labels: () =>
          objective.startsWith("binary:")
            ? [new PyInt(0), new PyInt(1)]
            : objective.startsWith("multi:") && numClass
              ? Array.from({ length: numClass }, (_, i) => new PyInt(i))
              : Number.NaN,
        probability: () => (objective === "multi:softprob" ? Math.max(...list) : scalar),
        probabilities: () => (objective === "multi:softprob" ? list : [1 - scalar, scalar]),
        raw_score: () => (objective === "multi:softprob" ? Math.max(...list) : scalar),
        raw_scores: () => (objective === "multi:softprob" ? list : [1 - scalar, scalar]),
        predicted_score: () => scalar,
      };
      out[key] = value[key]!();
    }
    for (const key of keys) if (!valid.includes(key)) out[key] = Number.NaN;
    return out;
  });
}

/** Rows narrower than the model, widened with missing values (as XGBoost reads them). */
function widen(f: DenseMatrix | CsrMatrix, cols: number): DenseMatrix | CsrMatrix {
  if (f.cols === cols) return f;
  if (f.kind === "csr") return { ...f, cols };
  const values = new Float32Array(f.rows * cols).fill(Number.NaN);
  for (let r = 0; r < f.rows; r++) values.set(f.values.subarray(r * f.cols, (r + 1) * f.cols), r * cols);
  return { kind: "dense", rows: f.rows, cols, values };
}

/** The image's answer for one invocation. */
export function answerAsImage(model: XGBoostServingModel, body: Uint8Array, ctx: InvocationContext): Payload {
  if (body.length === 0) return { status: 204, body: "", contentType: HTML };
  let features: DenseMatrix | CsrMatrix;
  try {
    features = parseContentData(body, ctx.headers.contentType);
  } catch (e) {
    if (e instanceof UpstreamError) return answer(415, e.message);
    throw e;
  }
  // XGBoost predicts rows narrower than the model (the rest missing) and refuses wider ones.
  const n = model.numFeatures;
  if (features.cols > n) {
    return answer(
      400,
      `Unable to evaluate payload provided: Check failed: learner_model_param_.num_feature >= p_fmat->Info().num_col_ (${n} vs. ${features.cols}) : Number of columns does not match number of features in booster.`,
    );
  }
  const fitted = widen(features, n);
  let predictions: Prediction[];
  try {
    predictions = model.boosters.map((b) =>
      fitted.kind === "dense" ? b.predictDense(fitted) : b.predictCsr(fitted),
    );
  } catch (e) {
    if (!isSagebrewError(e)) throw e;
    return answer(
      400,
      `Unable to evaluate payload provided: ${e.message.replace(/^XGBoost failed to [^:]*: /, "")}`,
    );
  }
  const rows = fitted.rows;
  const width = predictions[0]!.values.length / Math.max(1, rows);
  const mean = new Float32Array(predictions[0]!.values.length);
  for (const p of predictions)
    for (let i = 0; i < mean.length; i++) mean[i]! += p.values[i]! / predictions.length;
  const perRow: (number | number[])[] = Array.from({ length: rows }, (_, r) =>
    width === 1 ? mean[r]! : Array.from(mean.subarray(r * width, (r + 1) * width)),
  );
  let accept: string;
  try {
    accept = parseAccept(ctx.headers.accept, ctx.config.defaultAccept);
  } catch (e) {
    if (e instanceof UpstreamError) return answer(406, e.message);
    throw e;
  }
  const keys = ctx.config.inferenceOutput;
  if (keys) {
    let chosen: Record<string, unknown>[];
    try {
      chosen = selected(perRow, keys, model.objective, model.numClass);
    } catch (e) {
      if (e instanceof UpstreamError) return answer(500, e.message);
      throw e;
    }
    const entries = (o: Record<string, unknown>) =>
      `{${Object.entries(o)
        .map(([k, x]) => `${JSON.stringify(k)}: ${jsonValue(x)}`)
        .join(", ")}}`;
    if (accept === "application/json")
      return { body: `{"predictions": [${chosen.map(entries).join(", ")}]}`, contentType: mimetype(accept) };
    if (accept === "application/jsonlines")
      return { body: chosen.map((o) => `${entries(o)}\n`).join(""), contentType: mimetype(accept) };
    if (accept === "application/x-recordio-protobuf") {
      const records = chosen.map((o) =>
        Object.fromEntries(
          Object.entries(o).map(([k, x]) => [
            k,
            (Array.isArray(x) ? x : [x]).map((y) => (y instanceof PyInt ? y.value : (y as number))),
          ]),
        ),
      );
      return { body: encodeRecordioPredictions(records), contentType: mimetype(accept) };
    }
    if (accept === "text/csv") {
      const line = (o: Record<string, unknown>) =>
        keys.map((k) => (Array.isArray(o[k]) ? `"${strValue(o[k])}"` : strValue(o[k]))).join(",");
      const csv = chosen.map(line).join("\n");
      return { body: ctx.config.batch ? `${csv}\n` : csv, contentType: mimetype(accept) };
    }
    return answer(500, `Cannot encode selected predictions into accept type '${accept}'.`);
  }
  if (ctx.config.batch)
    return { body: `${perRow.map(strValue).join("\n")}\n`, contentType: mimetype(accept) };
  if (accept === "application/json") {
    return {
      body: `{"predictions": [${perRow.map((p) => `{"score": ${jsonValue(p)}}`).join(", ")}]}`,
      contentType: mimetype(accept),
    };
  }
  if (accept === "text/csv") {
    // sagemaker_containers' array_to_csv: numpy's str of each float64, one row per line
    return {
      body: perRow
        .map((p) => (Array.isArray(p) ? p.map(floatRepr).join(",") : floatRepr(p)))
        .map((l) => `${l}\n`)
        .join(""),
      contentType: mimetype(accept),
    };
  }
  // The image's encoder has no JSON Lines or RecordIO-protobuf without selectable output: Flask's 500 page.
  return answer(
    500,
    `Cannot encode the prediction as ${accept} without SAGEMAKER_INFERENCE_OUTPUT (the image answers 500 Internal Server Error)`,
  );
}
