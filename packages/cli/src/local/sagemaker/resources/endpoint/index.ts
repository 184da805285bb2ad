/** Endpoints: CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint, ListEndpoints. */
export {
  createEndpoint,
  deleteEndpoint,
  describeEndpoint,
  endpointNotFound,
  listEndpoints,
  updateEndpoint,
  variantsOf,
} from "./operations.js";
