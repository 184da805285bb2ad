import assert from "node:assert/strict";
import { test } from "node:test";
import { isRegistryReference, resolveImage } from "./image.js";

test("isRegistryReference() tells a registry reference from a local tag", () => {
  for (const ref of [
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris:1",
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris@sha256:${"a".repeat(64)}`,
    "localhost/iris",
    "127.0.0.1:5000/team/iris:dev",
  ]) {
    assert.equal(isRegistryReference(ref), true, ref);
  }
  for (const tag of ["iris-xgboost:dev", "iris", "team/iris:latest"])
    assert.equal(isRegistryReference(tag), false, tag);
});

test("resolveImage() pushes a local tag and uses the digest it was pinned to; a reference is used as given", async () => {
  const pushed: string[] = [];
  const lines: string[] = [];
  const pinned = `123456789012.dkr.ecr.us-east-1.amazonaws.com/iris-xgboost@sha256:${"b".repeat(64)}`;
  const push = async (image: string) => {
    pushed.push(image);
    return pinned;
  };
  const reporter = { info: (l: string) => lines.push(l) };
  assert.equal(await resolveImage("iris-xgboost:dev", push, reporter), pinned);
  assert.deepEqual(pushed, ["iris-xgboost:dev"]);
  assert.deepEqual(lines, ["iris-xgboost:dev is a local image: pushing it to Amazon ECR", `using ${pinned}`]);
  const ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/iris:1";
  assert.equal(await resolveImage(ref, push, reporter), ref);
  assert.equal(pushed.length, 1);
});

test("resolveImage() uses a local tag as it is when sagebrew local answers: the image is on this machine", async () => {
  const pushed: string[] = [];
  const lines: string[] = [];
  const push = async (image: string) => {
    pushed.push(image);
    return "never";
  };
  const local = async () => true;
  assert.equal(
    await resolveImage("iris-xgboost:dev", push, { info: (l) => lines.push(l) }, local),
    "iris-xgboost:dev",
  );
  assert.deepEqual(pushed, []);
  assert.deepEqual(lines, [
    "iris-xgboost:dev is a local image: sagebrew local runs it from this machine, no push to ECR",
  ]);
});

test("sdkSageMaker().isSagebrewLocal() reads x-sagebrew-local from SageMaker's answers, errors included", async () => {
  const { createServer } = await import("node:http");
  const { sdkSageMaker } = await import("../aws/index.js");
  const answers: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const headers = answers.shift() ?? {};
    const body = headers.error
      ? '{"__type":"AccessDeniedException","message":"no"}'
      : '{"TrainingJobSummaries":[]}';
    res.writeHead(headers.error ? 400 : 200, { "content-type": "application/x-amz-json-1.1", ...headers });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SAGEMAKER: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  });
  try {
    answers.push({ "x-sagebrew-local": "0.1.0" });
    assert.equal(await sdkSageMaker({ region: "us-east-1" }).isSagebrewLocal?.(), true);
    answers.push({ error: "1", "x-sagebrew-local": "0.1.0" });
    assert.equal(await sdkSageMaker({ region: "us-east-1" }).isSagebrewLocal?.(), true);
    answers.push({ error: "1" });
    assert.equal(await sdkSageMaker({ region: "us-east-1" }).isSagebrewLocal?.(), false);
    answers.push({});
    assert.equal(await sdkSageMaker({ region: "us-east-1" }).isSagebrewLocal?.(), false);
  } finally {
    process.env = saved;
    server.closeAllConnections();
    server.close();
  }
});
