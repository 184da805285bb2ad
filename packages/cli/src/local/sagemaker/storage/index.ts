/**
 * Objects by URI — `s3://` through the AWS SDK (loaded on first use), `file://` on this machine —
 * and where an object's key may place it on disk.
 */
export { type KeyedObject, keyProblem, pathForKey } from "./key-path.js";
export {
  createStorage,
  filePath,
  joinUri,
  type ObjectStorage,
  type StorageOptions,
  type StoredObject,
  schemeOf,
} from "./storage.js";
