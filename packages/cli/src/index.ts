/** Programmatic entry of the sagebrew CLI. */

export {
  COMMANDS,
  type Command,
  type CommandEntry,
  type CommandIo,
  loadCommands,
} from "./commands/index.js";
export { main, mainHelp } from "./main.js";
export * from "./sagemaker/index.js";
