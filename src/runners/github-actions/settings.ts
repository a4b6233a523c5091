// The github-actions runner's settings, checked before a run makes its record (as the docker runner's are):
// the cancel grace (ORUN_GHA_CANCEL_GRACE or the postGrace option) and the plan's GitHub job keys. A bad one
// found only when the runner starts failed a run whose record then became `latest` for status and logs.
// Light on purpose: the CLI loads it without the runner itself.
import type { PlanJob } from "../../model/plan.js";
import { parseDuration } from "../../runtime/duration.js";
import { OrunError } from "../../util/errors.js";
import { jobRunDefaults } from "./job-keys.js";

/** How long always()/cancelled() steps and post hooks may still run after a cancel, unless set. */
export const DEFAULT_CANCEL_GRACE = "60s";

/** The cancel grace in milliseconds: the `postGrace` option, else ORUN_GHA_CANCEL_GRACE, else 60s; an OrunError naming where a bad one came from. */
export function cancelGraceMs(options: { postGrace?: string }, env: NodeJS.ProcessEnv): number {
  const fromOption = options.postGrace !== undefined;
  const text = options.postGrace ?? (env.ORUN_GHA_CANCEL_GRACE || DEFAULT_CANCEL_GRACE);
  try {
    const ms = parseDuration(text);
    if (ms < 0) throw new Error("it is negative");
    return ms;
  } catch (err) {
    const what = fromOption ? "github-actions runner: invalid post grace" : "ORUN_GHA_CANCEL_GRACE: invalid duration";
    throw new OrunError(`${what} ${JSON.stringify(text)}: ${err instanceof Error ? err.message : String(err)}`, {
      hint: "use a Go duration such as 30s, 2m or 1m30s (the grace always() steps and post hooks get after a cancel)",
    });
  }
}

/**
 * Everything about the github-actions runner a run can be refused for before it starts: the cancel grace and
 * the GitHub job keys of the jobs it runs (`source` names the plan in messages: `plan plan.json`).
 */
export function checkGithubActionsSettings(jobs: readonly PlanJob[], options: { postGrace?: string }, env: NodeJS.ProcessEnv, source?: string): void {
  cancelGraceMs(options, env);
  for (const job of jobs) jobRunDefaults(job, source);
}
