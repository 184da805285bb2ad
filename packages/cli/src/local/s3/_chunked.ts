/**
 * The `aws-chunked` content encoding S3 clients send for streaming uploads (SigV4 streaming,
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, and `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, the
 * default of current SDKs when they add a checksum):
 *
 *     <hex size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n   (repeated)
 *     0[;chunk-signature=<sig>]\r\n
 *     [<trailer name>:<value>\r\n]…                                (x-amz-checksum-*, x-amz-trailer-signature)
 *     \r\n
 *
 * A decoder fed the raw bytes yields the object's bytes and, at the end, the trailers. Signatures
 * are skipped, as `sagebrew local` checks none. It is a pure state machine (no streams, no I/O)
 * with bounded buffering, so that any bytes a client sends either decode or fail with a sentence.
 */

/** The framing is broken (the sentence says where), or the body ended before the framing did. */
export class ChunkedError extends Error {
  constructor(
    message: string,
    readonly incomplete = false,
  ) {
    super(message);
  }
}

/** The longest chunk header line accepted (a size, `;chunk-signature=` and 64 hex digits fit well). */
const MAX_HEADER_LINE = 4096;
/** The most trailer bytes accepted (S3's trailers are a checksum and a signature). */
const MAX_TRAILERS = 16 * 1024;

type State = "header" | "data" | "data-cr" | "data-lf" | "trailer" | "done";

/** Decodes one aws-chunked body. */
export class AwsChunkedDecoder {
  #state: State = "header";
  /** The bytes of a header or trailer line read so far. */
  #line: number[] = [];
  #remaining = 0;
  #trailerBytes = 0;
  /** The trailers, by lower-case name, once the body has ended. */
  readonly trailers = new Map<string, string>();

  /** True once the final empty line has been read. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Feeds raw bytes; returns the decoded bytes they held (views of `chunk`, not copies).
   *
   * @throws ChunkedError when the framing is broken or bytes follow its end.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case "data": {
          const n = Math.min(this.#remaining, chunk.length - i);
          out.push(chunk.subarray(i, i + n));
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = "data-cr";
          break;
        }
        case "data-cr":
          if (chunk[i] !== 0x0d) throw new ChunkedError("a chunk's data is not followed by CRLF");
          this.#state = "data-lf";
          i++;
          break;
        case "data-lf":
          if (chunk[i] !== 0x0a) throw new ChunkedError("a chunk's data is not followed by CRLF");
          this.#state = "header";
          i++;
          break;
        case "header":
        case "trailer":
          i = this.#readLine(chunk, i);
          break;
        case "done":
          throw new ChunkedError("bytes follow the end of the aws-chunked body");
      }
    }
    return out;
  }

  /**
   * Says the raw body has ended.
   *
   * @throws ChunkedError (incomplete) when the framing has not ended.
   */
  end(): void {
    if (this.#state !== "done") {
      throw new ChunkedError("the body ended inside its aws-chunked framing", true);
    }
  }

  #readLine(chunk: Uint8Array, start: number): number {
    let i = start;
    while (i < chunk.length) {
      const b = chunk[i++]!;
      const line = this.#line;
      if (b === 0x0a && line.length > 0 && line[line.length - 1] === 0x0d) {
        line.pop();
        const text = Buffer.from(line).toString("latin1");
        this.#line = [];
        if (this.#state === "header") this.#onHeader(text);
        else this.#onTrailer(text);
        return i;
      }
      line.push(b);
      if (this.#state === "header" && line.length > MAX_HEADER_LINE) {
        throw new ChunkedError(`a chunk header is longer than ${MAX_HEADER_LINE} bytes`);
      }
      if (this.#state === "trailer" && ++this.#trailerBytes > MAX_TRAILERS) {
        throw new ChunkedError(`the trailers are longer than ${MAX_TRAILERS} bytes`);
      }
    }
    return i;
  }

  #onHeader(text: string): void {
    const semi = text.indexOf(";");
    const hex = (semi === -1 ? text : text.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) {
      throw new ChunkedError(
        `a chunk header does not start with a hexadecimal size: ${JSON.stringify(text.slice(0, 80))}`,
      );
    }
    if (semi !== -1 && !/^chunk-signature=[0-9a-fA-F]*$/.test(text.slice(semi + 1).trim())) {
      throw new ChunkedError(
        `a chunk header has an extension other than chunk-signature: ${JSON.stringify(text.slice(0, 80))}`,
      );
    }
    const size = Number.parseInt(hex, 16);
    if (size === 0) {
      this.#state = "trailer";
      return;
    }
    this.#remaining = size;
    this.#state = "data";
  }

  #onTrailer(text: string): void {
    if (text === "") {
      this.#state = "done";
      return;
    }
    const colon = text.indexOf(":");
    if (colon <= 0)
      throw new ChunkedError(`a trailer is not name:value: ${JSON.stringify(text.slice(0, 80))}`);
    const name = text.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]+$/.test(name))
      throw new ChunkedError(`a trailer name is not a header name: ${JSON.stringify(name)}`);
    this.trailers.set(name, text.slice(colon + 1).trim());
  }
}
