/** `sagebrew predict`: POST a payload file to /invocations and print the answer, status and time. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew predict <payload-file> [options]

Sends <payload-file> (or - for stdin) to a running server's /invocations, like the classic
predict.sh, then prints the answer on stdout and the status, Content-Type and time on stderr.
Exits 0 on a 2xx answer, 1 otherwise.

Options:
  -c, --content-type <type>       request Content-Type (default: text/csv)
  -a, --accept <type>             Accept header (default: none, so the server's default answer)
  -u, --url <url>                 server URL, or its full /invocations URL (default: http://127.0.0.1:8080)
  --custom-attributes <value>     X-Amzn-SageMaker-Custom-Attributes to send
  -h, --help                      show this help

Example:
  sagebrew predict payload.csv --content-type text/csv
  sagebrew predict rows.json -c application/json -a application/json --url http://127.0.0.1:9000
`;

const OPTIONS = {
  "content-type": { type: "string", short: "c" },
  accept: { type: "string", short: "a" },
  url: { type: "string", short: "u" },
  "custom-attributes": { type: "string" },
} as const;

export const predictCommand: Command = {
  name: "predict",
  summary: "POST a payload file to a server's /invocations; print the answer, status and time.",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(argv, OPTIONS, HELP);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      throw new SagebrewError("SB_USAGE", `expected one payload file, got ${positionals.length}\n\n${HELP}`);
    }
    const file = positionals[0]!;
    let body: Buffer;
    try {
      body = file === "-" ? await readStdin() : await readFile(resolve(io.cwd, file));
    } catch (e) {
      throw new SagebrewError("SB_USAGE", `Cannot read payload ${file}: ${(e as Error).message}`);
    }
    const url = invocationsUrl(values.url ?? "http://127.0.0.1:8080");
    const headers: Record<string, string> = { "content-type": values["content-type"] ?? "text/csv" };
    if (values.accept !== undefined) headers.accept = values.accept;
    if (values["custom-attributes"] !== undefined) {
      headers["x-amzn-sagemaker-custom-attributes"] = values["custom-attributes"];
    }
    const t0 = performance.now();
    let res: Response;
    try {
      res = await fetch(url, { method: "POST", headers, body });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      io.stderr.write(
        `sagebrew predict: Cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message} (is \`sagebrew serve\` running?)\n`,
      );
      return 1;
    }
    const answer = Buffer.from(await res.arrayBuffer());
    const ms = performance.now() - t0;
    io.stdout.write(answer);
    if (answer.length > 0 && answer[answer.length - 1] !== 10) io.stdout.write("\n");
    const type = res.headers.get("content-type") ?? "no Content-Type";
    const attrs = res.headers.get("x-amzn-sagemaker-custom-attributes");
    io.stderr.write(
      `${res.status} ${res.statusText} · ${type} · ${answer.length} bytes · ${ms.toFixed(1)} ms${attrs ? ` · custom attributes: ${attrs}` : ""}\n`,
    );
    return res.ok ? 0 : 1;
  },
};

function invocationsUrl(base: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new SagebrewError("SB_USAGE", `--url ${base} is not a URL such as http://127.0.0.1:8080`);
  }
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/invocations";
  return u.href;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
