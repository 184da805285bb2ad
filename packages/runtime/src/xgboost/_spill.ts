/**
 * A temporary file that a quantile build's float batches move to after XGBoost's first pass over
 * them. XGBoost 1.7 reads the batches four times (column sizes, sketch, index, column matrix) and
 * keeps its sketch alive until the last, so holding the float data through every pass put the
 * data, the sketch and the index in memory at once (a 1M × 28 training peaked at 346 MB resident).
 * From the second pass on, each batch is read back into one reused buffer: the data sits
 * in the kernel's page cache, which is reclaimable, instead of in the process.
 *
 * The file is unlinked as soon as it is open, so nothing is left behind whatever happens.
 * Synchronous: it runs inside XGBoost's data-iterator callbacks.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Where one spilled batch is in the file. */
export interface Spilled {
  readonly offset: number;
  readonly length: number;
}

export class SpillFile {
  readonly #fd: number;
  #size = 0;
  #buffer = new Float32Array(0);

  /** @throws the file system's error when no file can be made in `dir`. */
  constructor(dir: string) {
    const tmp = mkdtempSync(join(dir, "sagebrew-spill-"));
    try {
      const path = join(tmp, "batches.f32");
      this.#fd = openSync(path, "w+", 0o600);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Appends `values`; their place in the file.
   *
   * @throws the file system's error (a full disk): the caller keeps the batch in memory.
   */
  write(values: Float32Array): Spilled {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#size + done);
    const at = { offset: this.#size, length: values.length };
    this.#size += bytes.length;
    return at;
  }

  /**
   * Reads a spilled batch into the one buffer, valid until the next read: XGBoost is done with a
   * batch once it asks for the next (each pass processes a batch whole before moving on, as
   * Python's DataIter, which also keeps only the current batch, relies on).
   */
  read(at: Spilled): Float32Array {
    if (this.#buffer.length < at.length) this.#buffer = new Float32Array(at.length);
    const view = this.#buffer.subarray(0, at.length);
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.#fd, bytes, done, bytes.length - done, at.offset + done);
      if (n === 0) throw new Error(`the spill file ended at byte ${at.offset + done}`);
      done += n;
    }
    return view;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
