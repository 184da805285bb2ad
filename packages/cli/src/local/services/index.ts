/**
 * The AWS services beside SageMaker on `sagebrew local`'s port: a request is recognised by the
 * service its SigV4 scope names (or its `X-Amz-Target`, or a `bucket.localhost` Host) and handed
 * to S3 or STS; one for a service not served is answered in that service's protocol with what to
 * do. SageMaker, SageMaker Runtime and CloudWatch Logs stay the listener's own.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalS3 } from "../s3/index.js";
import { virtualHostBucket } from "../s3/index.js";
import { handleSts } from "../sts/index.js";
import { recognise } from "./_recognise.js";
import { answerUnserved } from "./_unserved.js";

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
