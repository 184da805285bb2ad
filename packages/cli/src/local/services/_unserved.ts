/**
 * The answer to a request for an AWS service `sagebrew local` does not serve (IAM, ECR, …): an
 * error its SDK can parse, in that service's protocol — JSON 1.x (`__type`), Query
 * (`<ErrorResponse>`), REST-JSON (`x-amzn-ErrorType`), REST-XML, Smithy RPC v2 CBOR — naming the
 * service, what is served, and which `AWS_ENDPOINT_URL_<SERVICE>` points it elsewhere. Status 501,
 * which no SDK retries.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Recognised } from "./_recognise.js";

/** Signing names whose service id (the `AWS_ENDPOINT_URL_<ID>` suffix) is not the name upper-cased. */
const SERVICE_IDS: Readonly<Record<string, string>> = {
  monitoring: "CLOUDWATCH",
  events: "EVENTBRIDGE",
  states: "SFN",
  "execute-api": "API_GATEWAY",
  apigateway: "API_GATEWAY",
  "application-autoscaling": "APPLICATION_AUTO_SCALING",
  autoscaling: "AUTO_SCALING",
  elasticloadbalancing: "ELASTIC_LOAD_BALANCING_V2",
  secretsmanager: "SECRETS_MANAGER",
  "cognito-identity": "COGNITO_IDENTITY",
  "cognito-idp": "COGNITO_IDENTITY_PROVIDER",
  cloudformation: "CLOUDFORMATION",
};

/** The `AWS_ENDPOINT_URL_<SERVICE>` variable of a signing name. */
export function endpointVariable(service: string): string {
  return `AWS_ENDPOINT_URL_${SERVICE_IDS[service] ?? service.toUpperCase().replace(/-/g, "_")}`;
}

/** The sentence of the error. */
export function unservedMessage(service: string): string {
  const variable = endpointVariable(service);
  return `sagebrew local does not serve ${service} (the service this request is signed for): it serves SageMaker, SageMaker Runtime, CloudWatch Logs, S3 and STS GetCallerIdentity. Point ${service} elsewhere with ${variable} (a local emulator such as moto_server, or https://${service}.<region>.amazonaws.com for AWS itself), or set AWS_ENDPOINT_URL_<SERVICE> for the services sagebrew local serves instead of AWS_ENDPOINT_URL.`;
}

/** A CBOR text string (major type 3). */
function cborText(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  const n = bytes.length;
  const head =
    n < 24
      ? Buffer.from([0x60 + n])
      : n < 256
        ? Buffer.from([0x78, n])
        : n < 65536
          ? Buffer.from([0x79, n >> 8, n & 0xff])
          : Buffer.from([0x7a, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return Buffer.concat([head, bytes]);
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The error body and headers of `code` and `message` in a protocol. */
export function errorIn(
  protocol: Recognised["protocol"],
  code: string,
  message: string,
  requestId: string,
  contentType?: string,
): { headers: Record<string, string>; body: Buffer } {
  switch (protocol) {
    case "json":
      return {
        headers: { "content-type": contentType ?? "application/x-amz-json-1.1", "x-amzn-errortype": code },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
      };
    case "rest-json":
      return {
        headers: { "content-type": "application/json", "x-amzn-errortype": code },
        body: Buffer.from(JSON.stringify({ message, Message: message })),
      };
    case "cbor":
      return {
        headers: { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" },
        body: Buffer.concat([
          Buffer.from([0xa2]),
          cborText("__type"),
          cborText(code),
          cborText("message"),
          cborText(message),
        ]),
      };
    default: {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>\n`;
      return { headers: { "content-type": "text/xml" }, body: Buffer.from(xml) };
    }
  }
}

/** Answers a request for a service not served (the body is not read; the connection closes). */
export function answerUnserved(
  req: IncomingMessage,
  res: ServerResponse,
  recognised: Recognised & { service: string },
): void {
  req.resume();
  const requestId = randomUUID();
  const contentType = req.headers["content-type"];
  const { headers, body } = errorIn(
    recognised.protocol,
    "NotImplemented",
    unservedMessage(recognised.service),
    requestId,
    typeof contentType === "string" && contentType.startsWith("application/x-amz-json")
      ? contentType
      : undefined,
  );
  res.writeHead(501, {
    ...headers,
    "content-length": body.length,
    "x-amzn-requestid": requestId,
    "x-amz-request-id": requestId,
    connection: "close",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
