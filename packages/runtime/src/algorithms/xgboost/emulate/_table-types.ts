/** The shape of `_tables.ts`: one version's hyperparameter declarations, as its container builds them. */

/** The toolkit class of a hyperparameter (`IntegerHyperparameter` → `int`, …). */
export type UpstreamKind = "int" | "float" | "categorical" | "list" | "nested" | "tuple";

export interface UpstreamHyperparameter {
  readonly name: string;
  readonly kind: UpstreamKind;
  /** `Interval(min_open, min_closed, max_open, max_closed)`, each Python's `str()` of the bound or null. */
  readonly interval?: readonly [string | null, string | null, string | null, string | null];
  /** A list range, or the list a range validator checks against. */
  readonly values?: readonly (string | number)[];
  readonly required?: true;
  /** Names of the hyperparameters its dependency validator reads. */
  readonly dependencies?: readonly string[];
}

export interface UpstreamTable {
  /** Alias → name (`learning_rate` → `eta`). */
  readonly aliases: Readonly<Record<string, string>>;
  /** A fingerprint of each validator function's code: which variant this version runs. */
  readonly validators: Readonly<Record<string, string>>;
  readonly hyperparameters: readonly UpstreamHyperparameter[];
}
