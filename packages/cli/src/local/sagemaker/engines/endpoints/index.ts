/** Endpoints on this machine: each variant's `serve` containers, started, health-checked, rolled and retired. */
export {
  EndpointManager,
  type EndpointManagerOptions,
  endpointLogGroup,
  type Instance,
  LiveEndpoint,
  type LiveVariant,
} from "./manager.js";
