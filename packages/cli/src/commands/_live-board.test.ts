import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeTerminal } from "../../../../test/kit/terminal.js";
import { liveBoard, reportAbove } from "./_live-board.js";
import { cliReporter } from "./_sagemaker.js";

function terminal(columns?: number) {
  return fakeTerminal({ cwd: "/", ...(columns ? { columns } : {}) });
}

describe("liveBoard()", () => {
  it("redraws the block in place, whether it grows or shrinks", () => {
    const t = terminal();
    const board = liveBoard(t.io.stdout);
    t.io.stdout.write("before\n");
    board.draw(["header", "a"]);
    board.draw(["header", "a", "b", "c"]);
    board.draw(["header 2", "b"]);
    assert.deepEqual(t.screen(), ["before", "header 2", "b"]);
  });

  it("prints a line written above it once, over the block, which is drawn again under it", () => {
    const t = terminal();
    const board = liveBoard(t.io.stdout);
    board.draw(["job: InProgress", "row 1"]);
    board.above(() => t.io.stderr.write("status: Failed\n"));
    assert.deepEqual(t.screen(), ["status: Failed", "job: InProgress", "row 1"]);
    board.draw(["job: Failed", "row 1", "row 2"]);
    board.above(() => t.io.stderr.write("one\ntwo\n"));
    assert.deepEqual(t.screen(), ["status: Failed", "one", "two", "job: Failed", "row 1", "row 2"]);
  });

  it("erases from the start of the row under the block, whatever was echoed there (^C)", () => {
    const t = terminal();
    const board = liveBoard(t.io.stdout);
    board.draw(["header", "row"]);
    t.io.stdout.write("^C");
    board.draw(["header", "row", "row 2"]);
    assert.deepEqual(t.screen(), ["header", "row", "row 2"]);
  });

  it("cuts each line to the terminal's width, so a row never wraps onto the next", () => {
    const t = terminal(50);
    const board = liveBoard(t.io.stdout);
    board.draw(["x".repeat(80), "short"]);
    board.draw(["y".repeat(80)]);
    assert.deepEqual(t.screen(), ["y".repeat(49)]);
  });

  it("once closed, leaves the block on screen and writes under it", () => {
    const t = terminal();
    const board = liveBoard(t.io.stdout);
    board.draw(["header", "row"]);
    board.close();
    board.above(() => t.io.stderr.write("after\n"));
    board.draw(["final"]);
    assert.deepEqual(t.screen(), ["header", "row", "after", "final"]);
  });

  it("reportAbove(): a reporter's status and log lines go above the block", () => {
    const t = terminal();
    const board = liveBoard(t.io.stdout);
    const reporter = reportAbove(cliReporter(t.io, { plain: true }), board);
    board.draw(["header", "row"]);
    reporter.info("tuning job t: Completed");
    reporter.log!({ source: "algo-1", stream: "s", timestamp: 1, message: "a log line\n" });
    assert.deepEqual(t.screen(), ["tuning job t: Completed", "[algo-1] a log line", "header", "row"]);
  });
});
