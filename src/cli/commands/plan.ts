import type { Command } from "commander";

export function registerPlanCommands(_program: Command): void {
  // Filled in by the plan work.
}
