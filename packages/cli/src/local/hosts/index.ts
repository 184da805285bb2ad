/** Multi-host training on this machine: N processes of the train program on loopback. */
export {
  type HostOutcome,
  type LocalHostsOptions,
  type LocalHostsResult,
  runLocalHosts,
} from "./launch.js";
export { type Distribution, filesForHost, hostNames } from "./split.js";
