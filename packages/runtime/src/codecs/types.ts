/**
 * The data shapes every codec produces and consumes. Features are float32 (XGBoost's own type);
 * NaN marks a missing value. Codecs are pure: bytes in, these shapes out (and back).
 */

/** Dense row-major features. */
export interface DenseMatrix {
  readonly kind: "dense";
  readonly rows: number;
  readonly cols: number;
  /** `rows * cols` values, row-major; NaN = missing. */
  readonly values: Float32Array;
}

/** Sparse features in CSR form; absent entries are missing. */
export interface CsrMatrix {
  readonly kind: "csr";
  readonly rows: number;
  readonly cols: number;
  /** `rows + 1` offsets into `indices`/`values`. */
  readonly indptr: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

export type FeatureMatrix = DenseMatrix | CsrMatrix;

/** A decoded training or inference data set. */
export interface Dataset {
  readonly features: FeatureMatrix;
  /** One label per row, numeric. Absent at inference. */
  readonly labels?: Float32Array;
  /**
   * Raw label strings when the labels were not numbers (for example `setosa`); the trainer maps
   * them to class indices. When present, `labels` is absent.
   */
  readonly labelStrings?: readonly string[];
  /** One weight per row, when the format carries weights. */
  readonly weights?: Float32Array;
}

/** Where bytes came from, so that errors can name it (`iris.csv`, `request body`, `record 12`). */
export interface SourceInfo {
  /** A file name or `request body`. */
  readonly source: string;
}

/** Number of rows of a feature matrix. */
export function rowCount(m: FeatureMatrix): number {
  return m.rows;
}
