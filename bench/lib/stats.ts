/** Small statistics and formatting helpers for the benchmark tables. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Relative spread (max − min) / median, as a percentage. */
export function spreadPct(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m === 0 ? 0 : ((Math.max(...xs) - Math.min(...xs)) / m) * 100;
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return "n/a";
  return x.toFixed(digits);
}

/** Three significant-ish digits: 12345 → "12,345", 12.345 → "12.3", 0.1234 → "0.123". */
export function num(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)) + "×";
}

export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0) + " MB";
}

/** "12.3 s (11.9–12.8)" style: median with range when there were several runs. */
export function withRange(xs: readonly number[], f: (x: number) => string): string {
  if (xs.length < 2) return f(xs[0] ?? Number.NaN);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function pass(ok: boolean): string {
  return ok ? "met" : "**missed**";
}
