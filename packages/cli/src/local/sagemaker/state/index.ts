/** What `sagebrew local` keeps on disk: resource documents, each change written before it is seen. */
export {
  type Change,
  type DocumentCheck,
  REMOVE,
  ResourceStore,
  StateWriteError,
  type StoredResource,
  type StoreOptions,
} from "./store.js";
