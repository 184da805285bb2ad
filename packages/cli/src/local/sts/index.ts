/**
 * STS on `sagebrew local`'s port: GetCallerIdentity in the Query protocol (a form POST — or GET —
 * with `Action=GetCallerIdentity`, answered in STS's XML), so that code asking who it is (the
 * SageMaker Python SDK's default bucket, sagebrew's own account lookup, `aws sts
 * get-caller-identity`) learns the account `sagebrew local` plays (`--account`, default
 * 123456789012). Any other action is refused in STS's own error format, saying what to do.
 *
 * @example server.on("request", (req, res) => handleSts(req, res, { account: "123456789012" }));
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { STS } from "../../api/index.js";

/** The operations of STS served (the docs' table is made from it). */
export const STS_OPERATIONS = ["GetCallerIdentity"] as const;

/** The account `sagebrew local` answers as, unless `--account` names another. */
export const DEFAULT_ACCOUNT = "123456789012";

/** The largest Query request read (GetCallerIdentity's is a few dozen bytes). */
const MAX_BODY = 64 * 1024;

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Reads a Query request's parameters: the form body of a POST, and the query string. */
async function paramsOf(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const q = req.url?.indexOf("?") ?? -1;
  const params = new URLSearchParams(q === -1 ? "" : req.url!.slice(q + 1));
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c);
  }
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) params.append(k, v);
  return params;
}

/** A Query-protocol error document (`<ErrorResponse>`), as STS answers one. */
export function queryErrorXml(code: string, message: string, requestId: string, namespace?: string): string {
  const ns = namespace ? ` xmlns="${namespace}"` : "";
  return `<ErrorResponse${ns}>\n  <Error>\n    <Type>Sender</Type>\n    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": requestId,
  });
  res.end(body);
}

/** The partition of a region's ARNs. */
function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * Answers one STS request.
 *
 * @param context.account the 12-digit account answered; `region` the one the request was signed for.
 */
export function handleSts(
  req: IncomingMessage,
  res: ServerResponse,
  context: { account: string; region: string },
): void {
  const requestId = randomUUID();
  const ns = STS.xmlNamespace;
  const fail = (status: number, code: string, message: string) => {
    if (!res.headersSent) send(res, status, queryErrorXml(code, message, requestId, ns), requestId);
  };
  paramsOf(req).then(
    (params) => {
      if (!params) return fail(400, "InvalidParameterValue", `The request is larger than ${MAX_BODY} bytes.`);
      const action = params.get("Action");
      if (!action) return fail(400, "MissingAction", "The request must contain the parameter Action.");
      const op = Object.hasOwn(STS.operations, action) ? STS.operations[action] : undefined;
      if (!op) {
        return fail(
          400,
          "InvalidAction",
          `sagebrew local serves STS GetCallerIdentity only, not ${action}: for ${action} point AWS_ENDPOINT_URL_STS at a service that has it (moto_server, or https://sts.amazonaws.com for AWS itself).`,
        );
      }
      const arn = `arn:${partitionOf(context.region)}:iam::${context.account}:root`;
      const body = `<${action}Response xmlns="${ns}">\n  <${op.resultWrapper}>\n    <Arn>${arn}</Arn>\n    <UserId>${context.account}</UserId>\n    <Account>${context.account}</Account>\n  </${op.resultWrapper}>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
      send(res, 200, body, requestId);
    },
    () => fail(400, "IncompleteSignature", "The request body could not be read."),
  );
}
