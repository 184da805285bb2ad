/** CloudWatch Logs as `sagebrew local` keeps and serves it: the log store and its read API. */
export { LOGS_OPERATIONS, runLogsOperation } from "./api.js";
export { type LogEvent, LogStore, type LogStream } from "./store.js";
