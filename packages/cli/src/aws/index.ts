/** AWS adapters used by the CLI (never by the runtime). */
export {
  type EcrApi,
  type EcrClientLike,
  type EcrTarget,
  ecrApiFromClient,
  parseEcrHost,
  prepareEcrPush,
  sdkEcr,
} from "./ecr.js";
