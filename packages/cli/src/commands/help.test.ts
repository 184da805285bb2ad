/** Every command's --help: its examples name paths that exist (from the repository's root). */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { COMMANDS, loadCommands } from "./index.js";

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));

/** Flags whose value is something the example creates, not a path that must exist. */
const CREATES = new Set(["--output", "--download", "-t", "--tag"]);

/** The `sagebrew …` invocations of a help text's Example section (continuation lines joined). */
function examples(help: string): string[][] {
  const section = help.split(/^Examples?:\n/m)[1] ?? "";
  const joined = section.replace(/\\\n\s*/g, " ");
  return joined
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .flatMap((line) => line.split("&&").map((part) => part.trim()))
    .filter((part) => part.startsWith("sagebrew "))
    .map((part) => part.split(/\s+/));
}

/** A token that names a file or directory of the repository: a relative path, not a URL, an image tag or a media type. */
function isPath(token: string): boolean {
  if (token.startsWith("-") || token.startsWith("/") || token.includes(":")) return false;
  if (/^(text|application)\//.test(token)) return false;
  return token.includes("/") || /\.(csv|json|jsonl|libsvm|parquet|rec|mjs|js|ts)$/.test(token);
}

describe("--help examples", () => {
  it("every command has one", async () => {
    for (const c of await loadCommands())
      assert.ok(examples(c.help).length > 0, `${c.name} --help has no example`);
  });

  it("name only paths that exist in the repository (outputs aside)", async () => {
    const missing: string[] = [];
    for (const c of await loadCommands()) {
      for (const argv of examples(c.help)) {
        argv.forEach((token, i) => {
          if (isPath(token) && !CREATES.has(argv[i - 1] ?? "") && !existsSync(join(ROOT, token))) {
            missing.push(`${c.name}: ${token}`);
          }
        });
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe("the command table", () => {
  it("loads, for each name, the command of that name", async () => {
    const loaded = await loadCommands();
    assert.deepEqual(
      loaded.map((c) => c.name),
      COMMANDS.map((c) => c.name),
    );
  });
});
