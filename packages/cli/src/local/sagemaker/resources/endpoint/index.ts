/** Endpoints: their state machine, and CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint, ListEndpoints. */
export { type EndpointEvent, type EndpointTransition, endpointTransition, newEndpoint } from "./machine.js";
export {
  createEndpoint,
  deleteEndpoint,
  deploymentOf,
  describeEndpoint,
  endpointNotFound,
  listEndpoints,
  updateEndpoint,
} from "./operations.js";
