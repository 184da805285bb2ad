/** `sagebrew predict`: POST a payload file to /invocations and print the answer, status and time. */
import { readFile } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { extname, resolve } from "node:path";
import { MEDIA, SagebrewError } from "@sagebrew/runtime/core";
import { parseCommandArgs } from "./_args.js";
import { AWS_OPTIONS } from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew predict <payload-file> [options]

Sends <payload-file> (or - for stdin) to a running server's /invocations, like the classic
predict.sh, then prints the answer on stdout and the status, Content-Type and time on stderr.
With --endpoint it calls a SageMaker endpoint instead (InvokeEndpoint) and prints the same way; a
ModelError (424) prints the container's own status and message, and an endpoint that is not
InService its status and FailureReason.

Exit codes: 0 a 2xx answer, 1 any other answer or a failed call, 2 the command line is wrong (an
unknown option, a missing argument, or an --endpoint nothing has).

Options:
  -c, --content-type <type>       request Content-Type (default: from the file's extension — .csv, .json,
                                  .jsonl, .libsvm, .svm, .rec, .pbr, .recordio, .parquet — else text/csv)
  -a, --accept <type>             Accept header (default: none, so the server's default answer)
  -u, --url <url>                 server URL, or its full /invocations URL (default: http://127.0.0.1:8080)
  --custom-attributes <value>     X-Amzn-SageMaker-Custom-Attributes to send
  -e, --endpoint <name>           call this SageMaker endpoint instead of --url
  --target-model <path>           multi-model endpoint: the model archive to use (with --endpoint)
  --target-variant <name>         the production variant to call (with --endpoint)
  --inference-id <id>             an id for the request in the endpoint's logs (with --endpoint)
  --region <region>               AWS region (with --endpoint; default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's)
  --profile <name>                AWS profile (with --endpoint; default: AWS_PROFILE)
  -h, --help                      show this help

Example:
  sagebrew predict examples/iris-xgboost/local_test/payload.csv
  sagebrew predict examples/iris-xgboost/local_test/payload.json -a application/json --url http://127.0.0.1:9000
  sagebrew predict examples/iris-xgboost/local_test/payload.csv --endpoint iris
`;

const OPTIONS = {
  "content-type": { type: "string", short: "c" },
  accept: { type: "string", short: "a" },
  url: { type: "string", short: "u" },
  "custom-attributes": { type: "string" },
  endpoint: { type: "string", short: "e" },
  "target-model": { type: "string" },
  "target-variant": { type: "string" },
  "inference-id": { type: "string" },
  ...AWS_OPTIONS,
} as const;

/** One answer, printed the same way whether it came from a URL or an endpoint. */
interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
  readonly customAttributes: string | undefined;
  readonly ms: number;
  /** Extra facts after the standard ones (a ModelError's container status, its log stream). */
  readonly notes?: readonly string[];
}

function printAnswer(io: CommandIo, a: Answer): void {
  io.stdout.write(a.body);
  if (a.body.length > 0 && a.body[a.body.length - 1] !== 10) io.stdout.write("\n");
  const attrs = a.customAttributes ? ` · custom attributes: ${a.customAttributes}` : "";
  const notes = a.notes?.length ? ` · ${a.notes.join(" · ")}` : "";
  io.stderr.write(
    `${a.status} ${a.statusText} · ${a.contentType ?? "no Content-Type"} · ${a.body.length} bytes · ${a.ms.toFixed(1)} ms${attrs}${notes}\n`,
  );
}

type EndpointValues = Partial<
  Record<
    | "content-type"
    | "accept"
    | "custom-attributes"
    | "target-model"
    | "target-variant"
    | "inference-id"
    | "region"
    | "profile",
    string
  >
>;

async function predictOnEndpoint(
  io: CommandIo,
  endpoint: string,
  body: Buffer,
  values: EndpointValues,
): Promise<number> {
  // AWS code loads only when an endpoint is called.
  const [{ invokeEndpoint }, { sdkClients }, { readProjectConfig }] = await Promise.all([
    import("../sagemaker/endpoint.js"),
    import("../sagemaker/context.js"),
    import("../sagemaker/settings.js"),
  ]);
  const { config } = await readProjectConfig(io.cwd);
  const region = values.region ?? config.region;
  const profile = values.profile ?? config.profile;
  const clients = sdkClients({ ...(region ? { region } : {}), ...(profile ? { profile } : {}) });
  const t0 = performance.now();
  const r = await invokeEndpoint(clients, endpoint, body, {
    contentType: values["content-type"] ?? "text/csv",
    ...(values.accept !== undefined ? { accept: values.accept } : {}),
    ...(values["custom-attributes"] !== undefined ? { customAttributes: values["custom-attributes"] } : {}),
    ...(values["target-model"] !== undefined ? { targetModel: values["target-model"] } : {}),
    ...(values["target-variant"] !== undefined ? { targetVariant: values["target-variant"] } : {}),
    ...(values["inference-id"] !== undefined ? { inferenceId: values["inference-id"] } : {}),
  });
  const ms = performance.now() - t0;
  const notes: string[] = [];
  if (r.invokedVariant) notes.push(`variant ${r.invokedVariant}`);
  if (r.modelError) {
    const original = r.modelError.originalStatusCode;
    const text = original !== undefined ? STATUS_CODES[original] : undefined;
    notes.push(`ModelError: the container answered ${original ?? "?"}${text ? ` ${text}` : ""}`);
    if (r.modelError.logStreamArn) notes.push(`log stream ${r.modelError.logStreamArn}`);
  }
  printAnswer(io, {
    status: r.status,
    statusText: r.modelError ? "ModelError" : (STATUS_CODES[r.status] ?? ""),
    body: r.body,
    contentType: r.modelError ? undefined : r.contentType,
    customAttributes: r.customAttributes,
    ms,
    notes,
  });
  return r.status >= 200 && r.status < 300 ? 0 : 1;
}

export const predictCommand: Command = {
  name: "predict",
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
    const contentType = values["content-type"] ?? contentTypeOf(file) ?? MEDIA.csv;
    if (values.endpoint !== undefined) {
      if (values.url !== undefined) throw new SagebrewError("SB_USAGE", "give --url or --endpoint, not both");
      return predictOnEndpoint(io, values.endpoint, body, { ...values, "content-type": contentType });
    }
    const url = invocationsUrl(values.url ?? "http://127.0.0.1:8080");
    const headers: Record<string, string> = {
      "content-type": contentType,
    };
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
    printAnswer(io, {
      status: res.status,
      statusText: res.statusText,
      body: answer,
      contentType: res.headers.get("content-type") ?? undefined,
      customAttributes: res.headers.get("x-amzn-sagemaker-custom-attributes") ?? undefined,
      ms: performance.now() - t0,
    });
    return res.ok ? 0 : 1;
  },
};

/**
 * Request Content-Types by file ending: the endings the codec registry reads
 * (runtime codecs/builtin.ts, kept in step by a test) and JSON's, which it reads only in requests.
 */
export const CONTENT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = Object.freeze({
  ".csv": MEDIA.csv,
  ".json": MEDIA.json,
  ".jsonl": MEDIA.jsonlines,
  ".jsonlines": MEDIA.jsonlines,
  ".libsvm": MEDIA.libsvm,
  ".svm": MEDIA.libsvm,
  ".rec": MEDIA.recordio,
  ".pbr": MEDIA.recordio,
  ".recordio": MEDIA.recordio,
  ".parquet": MEDIA.parquet,
});

/** The Content-Type a payload file's name implies; undefined for stdin or an unknown ending. */
export function contentTypeOf(file: string): string | undefined {
  return CONTENT_TYPE_BY_EXTENSION[extname(file).toLowerCase()];
}

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
