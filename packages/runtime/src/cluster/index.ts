/** Multi-host training: resolving the hosts and gathering them (algorithm-free). */
export {
  type Cluster,
  type ClusterOptions,
  decidePlan,
  type HostReport,
  joinCluster,
  type Plan,
} from "./cluster.js";
export { type ResolveOptions, resolveHosts } from "./hosts.js";
