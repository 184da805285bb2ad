/** The keep-alive HTTP/1.1 client from the front to the containers. */
export { type ResponseHandler, UpstreamError, UpstreamPool } from "./_upstream.js";
export { callWhole, headerValue, requestHead, type WholeResponse } from "./_upstream-call.js";
