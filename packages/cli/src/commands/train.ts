import type { Command } from "./types.js";

export const trainCommand: Command = {
  name: "train",
  summary: "Train against a local /opt/ml-shaped directory (no Docker).",
  help: "Usage: sagebrew train [dir]\n",
  async run() {
    return 1;
  },
};
