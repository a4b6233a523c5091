// `job not found: <id>`, with the plan's job IDs closest to what was typed (a
// typo: `api@dev.biuld`, `web@prd.deploy`) or containing it, as `run --job` and
// `describe job` both say it.
import { canonicalJobId, jobIdShortForms, parseJobId } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { closeNames } from "../util/edit-distance.js";

export function jobNotFound(ids: readonly string[], job: string): OrunError {
  // Close to what was typed (a third of its length, at most 3 edits) or to a job name in it, as the planner's
  // did-you-mean; then IDs containing it.
  const typed = canonicalJobId(job.trim());
  let suggestions = closeNames(typed, ids, { containing: job, forms: jobIdShortForms });
  // None close: the jobs of the component and environment it names (`api@dev.verify`, a profile's name, for the
  // job api@dev.build), else of the component.
  const parts = parseJobId(typed);
  if (suggestions.length === 0 && parts) {
    const ofEnv = ids.filter((id) => canonicalJobId(id).startsWith(`${parts.component}@${parts.environment}.`));
    suggestions = (ofEnv.length ? ofEnv : ids.filter((id) => canonicalJobId(id).startsWith(`${parts.component}@`))).sort().slice(0, 5);
  }
  return new OrunError(`job not found: ${job}`, { hint: suggestions.length ? `did you mean ${suggestions.join(", ")}?` : "list jobs with orun get jobs" });
}
