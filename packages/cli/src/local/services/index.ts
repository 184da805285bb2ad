/**
 * The AWS services beside SageMaker on `sagebrew local`'s port: a request is recognised by the
 * service its SigV4 scope names (or its `X-Amz-Target`, or a `bucket.localhost` Host) and handed
 * to S3 or STS; one for a service not served is answered in that service's protocol with what to
 * do. SageMaker, SageMaker Runtime and CloudWatch Logs stay the listener's own.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalS3 } from "../s3/index.js";
import { virtualHostBucket } from "../s3/index.js";
import { handleSts } from "../sts/index.js";
import { recognise } from "./_recognise.js";
import { answerUnserved, errorIn } from "./_unserved.js";

export { type Recognised, recognise } from "./_recognise.js";
export { endpointVariable, errorIn, unservedMessage } from "./_unserved.js";

/** Signing names the listener answers itself (SageMaker, its runtime, CloudWatch Logs). */
const LISTENER_OWN = new Set(["sagemaker", "logs"]);

/**
 * The route of S3, STS and services not served: answers the request and returns true, or returns
 * false for the listener's own (SageMaker, CloudWatch Logs) and requests of no known service.
 *
 * @example createFront({ …, aws: awsRoute({ s3, account: "123456789012" }) })
 */
export function awsRoute(options: {
  readonly s3: LocalS3;
  readonly account: string;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const r = recognise(
      req.method ?? "GET",
      req.url ?? "/",
      req.headers,
      virtualHostBucket(req.headers.host),
    );
    if (r.service === undefined || LISTENER_OWN.has(r.service)) return false;
    if (r.service === "s3") options.s3.handle(req, res, { region: r.region });
    else if (r.service === "sts") handleSts(req, res, { account: options.account, region: r.region });
    else answerUnserved(req, res, { ...r, service: r.service });
    return true;
  };
}

/**
 * Answers a refusal (the host guard's 403) to a request of S3, STS or a service not served, in
 * that service's protocol, so that its SDK raises `AccessDenied` with the sentence; returns false
 * for the listener's own requests.
 */
export function refuseInProtocol(req: IncomingMessage, res: ServerResponse, message: string): boolean {
  const r = recognise(req.method ?? "GET", req.url ?? "/", req.headers, virtualHostBucket(req.headers.host));
  if (r.service === undefined || LISTENER_OWN.has(r.service)) return false;
  req.resume();
  const requestId = randomUUID();
  const { headers, body } =
    r.service === "s3"
      ? {
          headers: { "content-type": "application/xml" },
          body: Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlText(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
          ),
        }
      : errorIn(r.protocol, "AccessDenied", message, requestId);
  res.writeHead(403, {
    ...headers,
    "content-length": body.length,
    "x-amz-request-id": requestId,
    "x-amzn-requestid": requestId,
    connection: "close",
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

const xmlText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
