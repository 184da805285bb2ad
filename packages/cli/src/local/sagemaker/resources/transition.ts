/** What every resource's state machine returns, and what they share. */

/** The next document, or why the event does not apply to the resource as it is. */
export type Transition<D> = { readonly doc: D } | { readonly refused: string };

/** The reason given for a job that was running when `sagebrew local` stopped. */
export const INTERRUPTED_REASON =
  "InternalServerError: sagebrew local stopped while the job was running; create the job again under a new name";

/** SageMaker's cap on `FailureReason`. */
export const MAX_REASON_CHARS = 1024;

/** The sentence of a refused transition (or of a resource that was removed meanwhile). */
export function refusal(t: { readonly refused: string } | { readonly removed: true }): string {
  return "refused" in t ? t.refused : "The resource was deleted meanwhile.";
}
