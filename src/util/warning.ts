// Warnings on stderr take the shape the spec gives where they come from:
// - the runtime's (`orun run`, status, logs, gc, remote state, the backend): `warning: <message>`, as spec 20 §13
//   prints the scope mismatch, beside the run's `context:`, `hint:` and `notice:` lines;
// - the planner's (`orun plan`, validate, `get`, a run's fresh compile, plan files): `⚠ warning: <message>`, as
//   spec 10 §3.5, 11 and 12 give them.
// Errors are `✕ <message>` everywhere. Warnings a job prints into its own output (the GitHub Actions engine's)
// keep the `warning: <text>` of a rendered `::warning::` workflow command, so they read like the step's others.
import { ownLineText } from "./inert-command.js";
import { printable } from "./printable.js";

/** A runtime warning line as printed: `warning: <message>\n`, the message escaped (it may quote a record or a file). */
export function warningLine(message: string): string {
  return `warning: ${printable(message, { keepLineBreaks: true })}\n`;
}

/** Prints a runtime warning line on stderr. */
export function warnOnStderr(message: string): void {
  // Under GitHub Actions a message quoting user text (`::error::x` on a line of its own) is no workflow command.
  process.stderr.write(ownLineText(warningLine(message)));
}

/** A planner warning line as printed: `⚠ warning: <message>\n`. */
export function plannerWarningLine(message: string): string {
  return `⚠ warning: ${printable(message, { keepLineBreaks: true })}\n`;
}

/** Prints a planner warning line on stderr. */
export function plannerWarnOnStderr(message: string): void {
  process.stderr.write(ownLineText(plannerWarningLine(message)));
}
