import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SagebrewError } from "@sagebrew/runtime/core";
import { FAIL, send } from "./send.js";

/** A command as the SDK shapes one: an input, and the handler whose answer carries the output type. */
class FakeCommand {
  readonly input: { Name: string };
  constructor(input: { Name: string }) {
    this.input = input;
  }
  resolveMiddleware(): () => Promise<{ output: { Answer: string } }> {
    return async () => ({ output: { Answer: "" } });
  }
}

const call = { action: "sagemaker:DescribeModel", resource: "m", doing: "describe model m" };

describe("send()", () => {
  it("returns the command's output, typed by the command", async () => {
    const client = { send: async (c: FakeCommand) => ({ Answer: `hello ${c.input.Name}` }) };
    const out = await send(client, new FakeCommand({ Name: "m" }), call);
    assert.equal(out.Answer, "hello m");
  });

  it("turns a failure into one sentence naming what was being done, keeping the SDK's error as cause", async () => {
    const refused = Object.assign(new Error("User is not authorized"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    const client = {
      send: async () => {
        throw refused;
      },
    };
    await assert.rejects(send(client, new FakeCommand({ Name: "m" }), call), (e: unknown) => {
      assert.ok(e instanceof SagebrewError);
      assert.equal(e.code, "SB_AWS");
      assert.match(e.message, /^Cannot describe model m: /);
      assert.equal(e.cause, refused);
      return true;
    });
  });

  it("answers with what `otherwise` makes of an error that is an answer, and throws the others", async () => {
    const missing = Object.assign(new Error("Could not find model"), { name: "ValidationException" });
    const other = Object.assign(new Error("boom"), { name: "InternalFailure" });
    const failing = (e: Error) => ({
      send: async () => {
        throw e;
      },
    });
    const otherwise = (e: unknown) => ((e as Error).name === "ValidationException" ? undefined : FAIL);
    assert.equal(await send(failing(missing), new FakeCommand({ Name: "m" }), call, otherwise), undefined);
    await assert.rejects(
      send(failing(other), new FakeCommand({ Name: "m" }), call, otherwise),
      SagebrewError,
    );
  });
});
