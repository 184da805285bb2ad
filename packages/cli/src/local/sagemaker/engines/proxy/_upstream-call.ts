/** One whole request/response to a container, for the paths that are not hot (ping, model loads). */
import type { ResponseHandler, UpstreamError, UpstreamPool } from "./_upstream.js";

export interface WholeResponse {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: Buffer;
}

/** The request head for `method path` with `headers` and a body of `length` bytes. */
export function requestHead(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  length: number,
): string {
  let head = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return `${head}content-length: ${length}\r\n\r\n`;
}

/**
 * Sends one request through `pool` and collects the answer.
 *
 * @throws UpstreamError when the container does not answer.
 */
export function callWhole(
  pool: UpstreamPool,
  method: string,
  path: string,
  options: { body?: Buffer; headers?: Record<string, string>; timeoutMs: number },
): Promise<WholeResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: readonly string[] = [];
    const handler: ResponseHandler = {
      onHead(s, h) {
        status = s;
        headers = h;
      },
      onData(c) {
        chunks.push(c);
      },
      onEnd() {
        resolve({ status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
      },
      onError(e: UpstreamError) {
        reject(e);
      },
    };
    const body = options.body ?? Buffer.alloc(0);
    pool.request(
      requestHead(method, path, options.headers ?? {}, body.length),
      body.length ? [body] : [],
      handler,
      {
        timeoutMs: options.timeoutMs,
      },
    );
  });
}

/** The value of header `name` (lower-case) in a flat name/value list. */
export function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}
