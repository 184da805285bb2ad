/** Every sub-command, in the order `sagebrew --help` lists them. Add new commands here. */

import { trainCommand } from "./train.js";
import type { Command } from "./types.js";

export const COMMANDS: readonly Command[] = [trainCommand];
