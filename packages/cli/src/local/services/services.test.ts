/**
 * Which service a request is for, and the answer to those `sagebrew local` does not serve: each in
 * its own protocol, parsed by that protocol's real client code (the AWS SDK for JavaScript v3's ECR
 * client for JSON 1.1, its STS client for Query, Smithy's CBOR decoder for RPC v2 CBOR).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { cbor } from "@smithy/core/cbor";
import { handleSts } from "../sts/index.js";
import { recognise } from "./_recognise.js";
import { answerUnserved, endpointVariable, errorIn, unservedMessage } from "./_unserved.js";
import { refuseInProtocol } from "./index.js";

const auth = (service: string, region = "eu-west-1") =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe("recognise", () => {
  const cases: [string, string, Record<string, string>, string | undefined, string | undefined, string][] = [
    ["a signed S3 GET", "GET", { authorization: auth("s3") }, undefined, "s3", "rest-xml"],
    ["a presigned S3 URL", "GET", {}, undefined, "s3", "rest-xml"],
    ["a virtual-hosted request", "PUT", {}, "bucket", "s3", "rest-xml"],
    [
      "STS GetCallerIdentity",
      "POST",
      { authorization: auth("sts"), "content-type": "application/x-www-form-urlencoded" },
      undefined,
      "sts",
      "query",
    ],
    [
      "an unsigned Query POST",
      "POST",
      { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      undefined,
      "sts",
      "query",
    ],
    [
      "IAM (Query)",
      "POST",
      { authorization: auth("iam"), "content-type": "application/x-www-form-urlencoded" },
      undefined,
      "iam",
      "query",
    ],
    [
      "ECR (JSON 1.1)",
      "POST",
      {
        authorization: auth("ecr"),
        "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
      },
      undefined,
      "ecr",
      "json",
    ],
    [
      "an unsigned ECR call",
      "POST",
      { "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.X" },
      undefined,
      "ecr",
      "json",
    ],
    [
      "SageMaker",
      "POST",
      { authorization: auth("sagemaker"), "x-amz-target": "SageMaker.ListEndpoints" },
      "bucket",
      "sagemaker",
      "json",
    ],
    [
      "CloudWatch (RPC v2 CBOR)",
      "POST",
      { authorization: auth("monitoring"), "smithy-protocol": "rpc-v2-cbor" },
      undefined,
      "monitoring",
      "cbor",
    ],
    ["Lambda (REST-JSON)", "GET", { authorization: auth("lambda") }, undefined, "lambda", "rest-json"],
    ["an unknown target", "POST", { "x-amz-target": "Nothing.Here" }, "bucket", undefined, "json"],
  ];
  for (const [what, method, headers, bucket, service, protocol] of cases) {
    it(`reads ${what}`, () => {
      const url = what.includes("presigned")
        ? "/b/k?X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00"
        : what.includes("Lambda")
          ? "/2015-03-31/functions"
          : "/";
      const r = recognise(method, url === "/" && method === "PUT" ? "/key" : url, headers, bucket);
      assert.equal(r.service, service);
      assert.equal(r.protocol, protocol);
    });
  }
  it("takes the region of the scope", () => {
    assert.equal(
      recognise("GET", "/", { authorization: auth("s3", "ap-south-1") }, undefined).region,
      "ap-south-1",
    );
    assert.equal(endpointVariable("monitoring"), "AWS_ENDPOINT_URL_CLOUDWATCH");
    assert.equal(endpointVariable("ecr"), "AWS_ENDPOINT_URL_ECR");
  });
});

let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    const r = recognise(req.method!, req.url!, req.headers, undefined);
    if (r.service === "sts") handleSts(req, res, { account: "111122223333", region: r.region });
    else answerUnserved(req, res, { ...r, service: r.service ?? "unknown" });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

describe("STS and services not served, through their SDK clients", () => {
  it("answers GetCallerIdentity with the account, and refuses AssumeRole in STS's words", async () => {
    const sts = new STSClient({ endpoint: url, region: "us-east-1", credentials });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, "111122223333");
    assert.equal(me.Arn, "arn:aws:iam::111122223333:root");
    await assert.rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111122223333:role/r", RoleSessionName: "s" })),
      (e: Error) => {
        assert.equal(e.name, "InvalidAction");
        assert.match(
          e.message,
          /sagebrew local serves STS GetCallerIdentity only, not AssumeRole: .*AWS_ENDPOINT_URL_STS/,
        );
        return true;
      },
    );
  });

  it("answers ECR (JSON 1.1) with a NotImplemented its client parses, naming AWS_ENDPOINT_URL_ECR, without retries", async () => {
    let attempts = 0;
    const ecr = new ECRClient({ endpoint: url, region: "us-east-1", credentials });
    ecr.middlewareStack.add(
      (next) => (args) => {
        attempts++;
        return next(args);
      },
      { step: "finalizeRequest" },
    );
    await assert.rejects(
      ecr.send(new DescribeRepositoriesCommand({})),
      (e: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(e.name, "NotImplemented");
        assert.equal(e.$metadata.httpStatusCode, 501);
        assert.match(e.message, /sagebrew local does not serve ecr .*AWS_ENDPOINT_URL_ECR/);
        return true;
      },
    );
    assert.equal(attempts, 1);
  });

  it("writes RPC v2 CBOR and Query errors that decode", () => {
    const c = errorIn("cbor", "NotImplemented", unservedMessage("monitoring"), "r");
    const decoded = cbor.deserialize(new Uint8Array(c.body)) as { __type: string; message: string };
    assert.equal(decoded.__type, "NotImplemented");
    assert.match(decoded.message, /AWS_ENDPOINT_URL_CLOUDWATCH/);
    const q = errorIn("query", "NotImplemented", "a <b> & c", "r").body.toString();
    assert.match(q, /<Code>NotImplemented<\/Code><Message>a &#60;b&#62; &#38; c<\/Message>/);
  });
});

describe("refuseInProtocol", () => {
  it("answers the host guard's 403 in S3's and STS's own formats, parsed by their clients as AccessDenied", async () => {
    const refusing = createServer((req, res) => {
      if (!refuseInProtocol(req, res, 'Refused Host "evil.example": …')) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((done) => refusing.listen(0, "127.0.0.1", done));
    const endpoint = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    try {
      const s3 = new S3Client({ endpoint, region: "us-east-1", credentials, forcePathStyle: true });
      await assert.rejects(
        s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" })),
        (e: Error & { $metadata: { httpStatusCode: number } }) => {
          assert.equal(e.name, "AccessDenied");
          assert.equal(e.$metadata.httpStatusCode, 403);
          assert.match(e.message, /^Refused Host "evil\.example"/);
          return true;
        },
      );
      const sts = new STSClient({ endpoint, region: "us-east-1", credentials });
      await assert.rejects(sts.send(new GetCallerIdentityCommand({})), { name: "AccessDenied" });
      const own = await fetch(`${endpoint}/`, {
        method: "POST",
        headers: { "x-amz-target": "SageMaker.ListEndpoints", authorization: auth("sagemaker") },
      });
      assert.equal(own.status, 418, "SageMaker's own requests are left to the listener");
    } finally {
      refusing.closeAllConnections();
      refusing.close();
    }
  });
});
