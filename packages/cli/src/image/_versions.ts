/**
 * `doctor`'s platform checks: the Node.js that runs sagebrew (on the host, in the image) against the
 * release table, and the libxgboost an image loads against the version its label records.
 */

import type { Finding } from "./_finding.js";
import { LABELS } from "./dockerfile.js";
import type { ContainerEngine } from "./engine.js";
import { nodeSupport } from "./node-releases.js";

/** What runs inside an image: its Node and the libxgboost the runtime loads. */
export interface ImageVersions {
  readonly node: string;
  /** `1.7.4`, or undefined with `xgboostError` when the runtime or the library is missing. */
  readonly xgboost?: string;
  readonly xgboostError?: string;
}

// Run by the image's own node: loads sagebrew's runtime where sagebrew images keep it and asks the
// library for its version, as `train` and `serve` would.
const PROBE = `
const out = { node: process.version };
try {
  const m = await import("/opt/sagebrew/node_modules/@sagebrew/runtime/dist/index.js");
  out.xgboost = m.xgboostVersion().join(".");
} catch (e) {
  out.xgboostError = String(e && e.message || e).split("\\n")[0];
}
console.log(JSON.stringify(out));
`;

/** Runs the image's `node` once (no network) and reads its versions; undefined when it has no `node`. */
export async function probeVersions(
  engine: ContainerEngine,
  image: string,
): Promise<ImageVersions | undefined> {
  const res = await engine.run(
    ["run", "--rm", "--network", "none", "--entrypoint", "node", image, "--input-type=module", "-e", PROBE],
    { check: false },
  );
  if (res.code !== 0) return undefined;
  const line = res.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ImageVersions;
  } catch {
    return undefined;
  }
}

/** The finding for one Node.js version (`where`: "this machine" or "the image"). */
export function nodeFinding(version: string, where: string, today?: Date): Finding {
  const support = nodeSupport(version, today);
  if (support.status === "supported") {
    return { check: "node", status: "pass", message: `${where}: ${support.message}` };
  }
  return {
    check: "node",
    status: "warn",
    message: `${where}: ${support.message}`,
    fix:
      where === "the image"
        ? "rebuild on a supported base: `sagebrew build` (default node:26-trixie-slim) or --base-image with Node 22 or later"
        : "install Node.js 22, 24 or 26 (https://nodejs.org, or `npx node@26`)",
  };
}

/** Compares the image's libxgboost with its `dev.sagebrew.xgboost.version` label. */
export function xgboostFinding(labels: Readonly<Record<string, string>>, versions: ImageVersions): Finding {
  const label = labels[LABELS.xgboostVersion];
  if (versions.xgboost === undefined) {
    return {
      check: "xgboost",
      status: label ? "fail" : "skip",
      message: label
        ? `the label says XGBoost ${label}, but the image's runtime cannot load it: ${versions.xgboostError ?? "unknown error"}`
        : `no sagebrew runtime with XGBoost in the image (${versions.xgboostError ?? "not found"})`,
      ...(label ? { fix: "rebuild with `sagebrew build`, which installs libxgboost and checks it" } : {}),
    };
  }
  if (!label) {
    return {
      check: "xgboost",
      status: "warn",
      message: `libxgboost ${versions.xgboost} loads, but the image has no ${LABELS.xgboostVersion} label`,
      fix: "build with `sagebrew build`, which records the version",
    };
  }
  if (versions.xgboost === label || versions.xgboost.startsWith(`${label}.`)) {
    return {
      check: "xgboost",
      status: "pass",
      message: `libxgboost ${versions.xgboost} loads, as the label records`,
    };
  }
  return {
    check: "xgboost",
    status: "fail",
    message: `the label records XGBoost ${label}, but the image loads libxgboost ${versions.xgboost}: models would be trained or read by another XGBoost than the image says`,
    fix: "rebuild with `sagebrew build --xgboost <line>` so the library and the label agree",
  };
}
