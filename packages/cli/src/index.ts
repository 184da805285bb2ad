/** Programmatic entry of the sagebrew CLI. */

export { COMMANDS, loadCommands } from "./commands/index.js";
export type { Command, CommandEntry, CommandIo } from "./commands/types.js";
export { main, mainHelp } from "./main.js";
export * from "./sagemaker/index.js";
