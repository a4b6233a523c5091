// Every warning orun prints on stderr has one shape, the one spec §3.5 gives (`⚠ warning: …`; errors are `✕ …`).
// Warnings a job prints into its own output (the GitHub Actions engine's) keep the `warning: <text>` of a rendered
// `::warning::` workflow command instead, so they read like the step's other warnings.
import { printable } from "./printable.js";

/** A warning line as printed: `⚠ warning: <message>\n`, the message escaped (it may quote a record or a file). */
export function warningLine(message: string): string {
  return `⚠ warning: ${printable(message, { keepLineBreaks: true })}\n`;
}

/** Prints a warning line on stderr. */
export function warnOnStderr(message: string): void {
  process.stderr.write(warningLine(message));
}
