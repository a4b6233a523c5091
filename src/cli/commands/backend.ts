import type { Command } from "commander";

export function registerBackendCommands(_program: Command): void {
  // Filled in by the backend work.
}
