/**
 * `@sagebrew/runtime/core`: the light part of the runtime — the contract's names, routes and
 * limits, the errors, and RecordIO record framing. No FFI, no threads, no HTTP server, no Parquet:
 * for tools that must start fast (the `sagebrew` CLI loads this, not the whole runtime, before it
 * starts `serve` for a transform).
 */

export { recordioRecordBounds } from "./codecs/recordio-protobuf.js";
export { type ChannelConfig, parseInputDataConfig } from "./config/data-config.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
