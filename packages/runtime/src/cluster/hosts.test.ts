import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../errors/index.js";
import { resolveHosts } from "./hosts.js";

describe("resolveHosts()", () => {
  it("retries a name that does not resolve yet, then resolves it", async () => {
    let calls = 0;
    const retried: string[] = [];
    const got = await resolveHosts(["algo-1", "algo-2"], {
      deadlineMs: 30_000,
      firstDelayMs: 1,
      addresses: new Map([["algo-1", "10.0.0.1"]]),
      lookup: async (host) => {
        calls++;
        if (calls < 4) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
        return "10.0.0.2";
      },
      onRetry: (host) => retried.push(host),
    });
    assert.deepEqual(
      [...got],
      [
        ["algo-1", "10.0.0.1"],
        ["algo-2", "10.0.0.2"],
      ],
    );
    assert.deepEqual(retried, ["algo-2", "algo-2", "algo-2"]);
  });

  it("gives up at the deadline, naming every host that never resolved and why", async () => {
    const started = Date.now();
    await assert.rejects(
      resolveHosts(["algo-1", "algo-2", "algo-3"], {
        deadlineMs: 300,
        firstDelayMs: 10,
        lookup: async (host) => {
          if (host === "algo-1") return "10.0.0.1";
          throw new Error(`getaddrinfo EAI_AGAIN ${host}`);
        },
      }),
      (e: unknown) =>
        isSagebrewError(e, "SB_HOST_UNRESOLVED") &&
        e.message ===
          "Cannot reach the other hosts: hosts algo-2 (getaddrinfo EAI_AGAIN algo-2), algo-3 (getaddrinfo EAI_AGAIN algo-3) did not resolve within 0 s",
    );
    assert.ok(Date.now() - started < 20_000);
  });

  it("takes an IPv4 address as itself", async () => {
    const got = await resolveHosts(["192.168.7.1"], {
      deadlineMs: 10,
      lookup: () => Promise.reject(new Error("no DNS here")),
    });
    assert.equal(got.get("192.168.7.1"), "192.168.7.1");
  });
});
