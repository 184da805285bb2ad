/**
 * Objects by URI — `s3://` through the AWS SDK (loaded on first use), `file://` on this machine —
 * and where an object's key may place it on disk.
 */
export { type KeyedObject, keyProblem, pathForKey } from "./key-path.js";
export {
  createStorage,
  DEFAULT_S3_LIMITS,
  filePath,
  isStall,
  joinUri,
  listWithin,
  type ObjectStorage,
  type S3Access,
  type S3Limits,
  type StorageOptions,
  type StoredObject,
  schemeOf,
  TIMED_OUT,
  type WriteOptions,
  withinDeadline,
} from "./storage.js";
