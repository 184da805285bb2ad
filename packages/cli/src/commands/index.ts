/** Every sub-command, in the order `sagebrew --help` lists them. Add new commands here. */

import { buildCommand } from "./build.js";
import { deleteCommand } from "./delete.js";
import { deployCommand } from "./deploy.js";
import { doctorCommand } from "./doctor.js";
import { initCommand } from "./init.js";
import { localCommand } from "./local.js";
import { logsCommand } from "./logs.js";
import { lsCommand } from "./ls.js";
import { predictCommand } from "./predict.js";
import { pushCommand } from "./push.js";
import { serveCommand } from "./serve.js";
import { trainCommand } from "./train.js";
import { transformCommand } from "./transform.js";
import type { Command } from "./types.js";

export const COMMANDS: readonly Command[] = [
  trainCommand,
  initCommand,
  buildCommand,
  pushCommand,
  doctorCommand,
  serveCommand,
  predictCommand,
  transformCommand,
  deployCommand,
  logsCommand,
  lsCommand,
  deleteCommand,
  localCommand,
];
