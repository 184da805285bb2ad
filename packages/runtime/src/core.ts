/**
 * `@sagebrew/runtime/core`: the light part of the runtime — the contract's names, routes and
 * limits, the errors, RecordIO record framing, and the guarded node:http server that `serve` and
 * `sagebrew local` share. No FFI, no threads, no serving app, no Parquet: for tools that must start
 * fast (the `sagebrew` CLI loads this, not the whole runtime, before it starts `serve` for a transform).
 */

export { recordioRecordBounds } from "./codecs/recordio-protobuf.js";
export { type ChannelConfig, parseInputDataConfig } from "./config/data-config.js";
export { type HttpLimitsConfig, readHttpLimits } from "./config/serving.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
export {
  createGuardedServer,
  type GuardAnswer,
  type GuardedServer,
  type GuardOptions,
  type GuardProblem,
  type HttpLimits,
} from "./node/http-guard.js";
export type { Logger } from "./node/logger.js";
export { RejectionLog, type RejectionLogOptions, rejectionLog } from "./node/rejection-log.js";
