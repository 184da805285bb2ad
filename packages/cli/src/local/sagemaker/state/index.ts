/** What `sagebrew local` keeps on disk: resource documents, each change written before it is seen. */

export { currentOwner, isAlive, type LockOwner, lockStateDir, type StateLock, StateLocked } from "./lock.js";
export {
  type Change,
  type DocumentCheck,
  REMOVE,
  ResourceStore,
  StateWriteError,
  type StoredResource,
  type StoreOptions,
} from "./store.js";
