/** A container's output, line by line. */

/**
 * Splits a byte stream into lines and hands each to `onLine` (a trailing partial line waits for
 * the rest, or for `end()`).
 */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer | string): void;
  end(): void;
} {
  let rest = "";
  return {
    push(chunk) {
      const text = rest + chunk.toString();
      const lines = text.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    },
    end() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}
