/**
 * The runtime API as a route of the front: `POST /endpoints/<name>/invocations` (InvokeEndpoint),
 * `…/invocations-response-stream` (InvokeEndpointWithResponseStream) and `…/async-invocations`
 * (InvokeEndpointAsync). Anything else under `/endpoints/` is left to the front.
 */
import type { EndpointManager } from "../engines/endpoints/index.js";
import type { RuntimeRoute } from "../protocol/index.js";
import { acceptAsyncInvocation } from "./invoke-async.js";
import { acceptInvocation, Route, type RuntimeOptions } from "./invoke-endpoint.js";

/** The SageMaker Runtime operations served. */
export const RUNTIME_OPERATIONS: readonly string[] = [
  "InvokeEndpoint",
  "InvokeEndpointWithResponseStream",
  "InvokeEndpointAsync",
];

/** The runtime API as a route of the front. */
export function createRuntimeRoute(endpoints: EndpointManager, options: RuntimeOptions): RuntimeRoute {
  const route = new Route(endpoints, options);
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url!;
    const slash = url.indexOf("/", 11);
    if (slash === -1) return false;
    const query = url.indexOf("?");
    const action = url.slice(slash + 1, query === -1 ? undefined : query);
    let endpoint: string;
    try {
      endpoint = decodeURIComponent(url.slice(11, slash));
    } catch {
      endpoint = url.slice(11, slash);
    }
    if (action === "invocations") acceptInvocation(route, req, res, endpoint, "invoke");
    else if (action === "invocations-response-stream") acceptInvocation(route, req, res, endpoint, "stream");
    else if (action === "async-invocations" && options.asyncQueue)
      acceptAsyncInvocation(endpoints, options.asyncQueue, options.account, req, res, endpoint);
    else return false;
    return true;
  };
}
