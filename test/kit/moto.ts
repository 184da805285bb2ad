/**
 * `moto_server` (the AWS API emulator, moto 5.2.1 on the machine image) on a free loopback port, for
 * tests that drive the real AWS SDK clients: started in the background, its PID recorded, stopped
 * by that PID. When it is not installed the suite fails and says so (it is never skipped).
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface Moto {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** The environment that points the SDK (and the sagebrew CLI) at this server with dummy credentials. */
  readonly env: Record<string, string>;
  /** Clears every service's state. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Account moto answers GetCallerIdentity with. */
export const MOTO_ACCOUNT = "123456789012";
export const MOTO_REGION = "us-east-1";

/** Starts moto_server on port 0 and waits until it listens. */
export async function startMoto(): Promise<Moto> {
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`moto_server did not start within 60 s; it printed:\n${seen}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          e.code === "ENOENT"
            ? "moto_server is not on PATH: these tests need the AWS emulator moto 5.2.1 with its server (pip install 'moto[server]==5.2.1'); the machine image ships it"
            : `Cannot start moto_server: ${e.message}`,
        ),
      );
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with code ${code} before listening:\n${seen}`));
    });
  });
  const pid = child.pid!;
  // Keep reading its request log so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    pid,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: MOTO_REGION,
      AWS_EC2_METADATA_DISABLED: "true",
    },
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: "POST" });
      if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        process.kill(pid, "SIGTERM");
      });
    },
  };
}

/** Points this process's AWS SDK clients at `moto` (the env the SDK reads), with no profile in the way. */
export function useMotoEnv(moto: Moto): void {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("AWS_ENDPOINT_URL") || key === "AWS_PROFILE" || key === "AWS_SESSION_TOKEN")
      delete process.env[key];
  }
  Object.assign(process.env, moto.env);
}

/** Queues the answers moto's InvokeEndpoint gives next (moto does not run a container). */
export async function queueEndpointResults(
  moto: Moto,
  results: readonly {
    Body: string;
    ContentType?: string;
    InvokedProductionVariant?: string;
    CustomAttributes?: string;
  }[],
): Promise<void> {
  const res = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account_id: MOTO_ACCOUNT, region: MOTO_REGION, results }),
  });
  if (!res.ok) throw new Error(`moto endpoint-results answered ${res.status}: ${await res.text()}`);
}
