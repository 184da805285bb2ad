/** The shapes shared by the storage front (`storage.ts`) and its S3 adapter (`_s3.ts`). */

/** One object under a prefix: its full URI and the path it takes inside a channel directory. */
export interface StoredObject {
  readonly uri: string;
  readonly rel: string;
  readonly size: number;
}

/** What the S3 adapter offers. */
export interface S3Access {
  list(uri: string): Promise<StoredObject[]>;
  download(uri: string, dest: string): Promise<void>;
  upload(file: string, uri: string): Promise<void>;
  read(uri: string): Promise<Buffer>;
  write(uri: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
}

/** How an object is written. */
export interface WriteOptions {
  /** The object's `Content-Type` (S3 only; a file has none). */
  readonly contentType?: string;
}

/** How long S3 may take, and how often a request is tried. */
export interface S3Limits {
  /** To connect. */
  readonly connectMs: number;
  /** To answer, and between two bytes of a body. */
  readonly idleMs: number;
  /** Tries of one request in all (1 = no retry). */
  readonly attempts: number;
}
