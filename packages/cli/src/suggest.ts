/** "Did you mean …?": the known word nearest to a mistyped one, for unknown commands and options. */

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours) between `a` and `b`. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate nearest to `word`: one that starts with it (`--cont` → `--content-type`), else the
 * closest within a third of its length (at least 2 edits: `serv` → `serve`, `--prot` → `--port`).
 * Undefined when nothing is near, or when two are equally near.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (prefixed.length === 1 && lower.length >= 3) return prefixed[0];
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) tie = true;
  }
  return best !== undefined && !tie ? best : undefined;
}

/** ` Did you mean "serve"?` or "" (to end a sentence with). */
export function didYouMean(word: string, candidates: readonly string[], quote = true): string {
  const n = nearest(word, candidates);
  if (n === undefined) return "";
  return quote ? ` Did you mean "${n}"?` : ` Did you mean ${n}?`;
}
