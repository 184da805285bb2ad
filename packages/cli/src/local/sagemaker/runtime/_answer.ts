/** Error answers of the runtime API (rest-json): the type in `x-amzn-errortype`, a JSON body. */
import type { ServerResponse } from "node:http";
import { type ApiError, restJsonErrorBody } from "../protocol/index.js";

/** Answers `error`, or cuts the connection when an answer has already begun. */
export function sendError(res: ServerResponse, error: ApiError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = restJsonErrorBody(error);
  res.writeHead(error.status, [
    "content-type",
    "application/json",
    "content-length",
    String(Buffer.byteLength(body)),
    "x-amzn-requestid",
    requestId,
    ...(error.type ? ["x-amzn-errortype", error.type] : []),
  ]);
  res.end(body);
}
