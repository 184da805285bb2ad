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
