/** One check's outcome, as `doctor` reports it. */
export interface Finding {
  readonly check: string;
  readonly status: "pass" | "warn" | "fail" | "skip";
  readonly message: string;
  /** What to do about it (warn and fail). */
  readonly fix?: string;
}
