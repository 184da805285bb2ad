/** What `sagebrew local` keeps on disk: resource documents, written atomically. */
export { ResourceStore, type StoredResource, writeFileAtomic } from "./store.js";
