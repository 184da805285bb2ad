/** Images without a container engine: `sagebrew build --engine none`. */

export { parseBaseReference } from "./_base.js";
export {
  buildEpoch,
  buildWithoutEngine,
  DEFAULT_DEBIAN_MIRROR,
  type EnginelessImage,
  type EnginelessOptions,
} from "./build.js";
