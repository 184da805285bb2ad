import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The runtime package version, written into models and image labels. */
export const RUNTIME_VERSION: string = (require("../package.json") as { version: string }).version;
