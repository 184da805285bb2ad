/**
 * A block of lines kept at the foot of a terminal and redrawn in place (a tuning job's
 * leaderboard), with the command's other lines printed above it. A redraw moves the cursor up over
 * the rows the block took: a line written to the terminal in between — a status line on stderr
 * shares the screen — would be taken for one of them, and the block's top row left behind. So
 * while a block is shown every other line goes through `above`, which erases the block, writes the
 * line where the block was and draws the block again under it.
 */
import type { Reporter } from "../sagemaker/index.js";
import type { CommandIo } from "./types.js";

export interface LiveBoard {
  /** Draws `lines` in place of the block drawn last, each cut to the terminal's width. */
  draw(lines: readonly string[]): void;
  /** Runs `write`, which writes whole lines to the terminal (stdout or stderr), above the block. */
  above(write: () => void): void;
  /** Leaves the block on screen as it stands: what is written next goes under it. */
  close(): void;
}

/**
 * The live board of a terminal's `stdout`.
 *
 * @example
 * const board = liveBoard(io.stdout);
 * board.draw(leaderboardLines(rows, objective, names));
 * board.above(() => io.stderr.write("tuning job t: Completed\n"));
 */
export function liveBoard(stdout: CommandIo["stdout"]): LiveBoard {
  let lines: readonly string[] = [];
  // Rows of the block on screen; the cursor is at the start of the row under them.
  let shown = 0;
  // From wherever the cursor is on the row under the block (after a ^C echoed there, say).
  const erase = () => (shown > 0 ? `\r\x1b[${shown}A\x1b[J` : "");
  const paint = (prefix: string) => {
    const width = Math.max(40, (stdout.columns ?? 120) - 1);
    const text = lines.map((l) => `${l.slice(0, width)}\n`).join("");
    if (prefix || text) stdout.write(`${prefix}${text}`);
    shown = lines.length;
  };
  return {
    draw(next) {
      lines = [...next];
      paint(erase());
    },
    above(write) {
      if (shown === 0) return write();
      stdout.write(erase());
      shown = 0;
      write();
      paint("");
    },
    close() {
      lines = [];
      shown = 0;
    },
  };
}

/** `reporter` with its status and log lines printed above `board`. */
export function reportAbove(reporter: Reporter, board: LiveBoard): Reporter {
  return {
    ...reporter,
    info: (line) => board.above(() => reporter.info(line)),
    ...(reporter.log ? { log: (line) => board.above(() => reporter.log!(line)) } : {}),
  };
}
