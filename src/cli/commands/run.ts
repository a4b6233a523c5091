import type { Command } from "commander";

export function registerRunCommands(_program: Command): void {
  // Filled in by the run work.
}
