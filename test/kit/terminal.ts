/**
 * A fake terminal for running sagebrew's commands in-process: stdout and stderr print onto one
 * screen, as they do on a real terminal, and `screen()` is what a user would see at the end — the
 * text with the cursor moves and erasures of sagebrew's live displays applied. It knows CR, LF (as
 * a terminal's output does: to the start of the next row), ESC[nA, ESC[J and ESC[2K, and drops
 * colours (ESC[…m); any other escape throws, so a test never reads past output it cannot show.
 */
import { Writable } from "node:stream";

const ESC = "\u001b";

/** A screen of rows, written at a cursor. */
class Screen {
  readonly rows: string[] = [""];
  private row = 0;
  private col = 0;

  constructor(private readonly columns: number) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\n") {
        this.row++;
        this.col = 0;
        while (this.rows.length <= this.row) this.rows.push("");
      } else if (c === "\r") {
        this.col = 0;
      } else if (c === ESC) {
        // A control sequence: ESC [ digits letter.
        const m = /^\[(\d*)([A-Za-z])/.exec(text.slice(i + 1));
        if (!m) throw new Error(`fake terminal: unknown escape ${JSON.stringify(text.slice(i, i + 8))}`);
        this.escape(m[2]!, m[1] === "" ? undefined : Number(m[1]), `ESC${m[0]}`);
        i += m[0].length;
      } else {
        this.put(c);
      }
    }
  }

  private escape(command: string, n: number | undefined, whole: string): void {
    if (command === "A") {
      this.row = Math.max(0, this.row - (n ?? 1));
    } else if (command === "J" && (n ?? 0) === 0) {
      this.rows[this.row] = this.rows[this.row]!.slice(0, this.col);
      this.rows.length = this.row + 1;
    } else if (command === "K" && n === 2) {
      this.rows[this.row] = "";
    } else if (command !== "m") {
      throw new Error(`fake terminal: unknown escape ${JSON.stringify(whole)}`);
    }
  }

  private put(c: string): void {
    if (this.col >= this.columns) {
      // The terminal wraps a full row onto the next.
      this.row++;
      this.col = 0;
      while (this.rows.length <= this.row) this.rows.push("");
    }
    const line = this.rows[this.row]!.padEnd(this.col);
    this.rows[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
    this.col++;
  }
}

/** A `CommandIo` whose stdout and stderr are one terminal of `columns` columns (default 100). */
export function fakeTerminal(options: { cwd: string; env?: NodeJS.ProcessEnv; columns?: number }) {
  const columns = options.columns ?? 100;
  const screen = new Screen(columns);
  let raw = "";
  // One writer for both streams, applied as each write is made: the order on screen is the order
  // of the writes, as on a real terminal.
  const stream = () =>
    Object.assign(
      new Writable({
        decodeStrings: false,
        write(chunk: string | Buffer, _encoding, done) {
          const text = String(chunk);
          raw += text;
          screen.write(text);
          done();
        },
      }),
      { isTTY: true, columns },
    );
  return {
    io: { stdout: stream(), stderr: stream(), env: options.env ?? {}, cwd: options.cwd },
    /** The rows on screen, top to bottom, without trailing spaces or the empty row under the cursor. */
    screen: (): string[] => {
      const rows = screen.rows.map((r) => r.trimEnd());
      while (rows.length > 0 && rows.at(-1) === "") rows.pop();
      return rows;
    },
    /** Every byte written, escapes included, in order. */
    raw: () => raw,
  };
}
