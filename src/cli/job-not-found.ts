// `job not found: <id>`, with the plan's job IDs closest to what was typed (a
// typo: `api@dev.biuld`, `web@prd.deploy`) or containing it, as `run --job` and
// `describe job` both say it.
import { canonicalJobId, jobIdShortForms } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { closeNames } from "../util/edit-distance.js";

export function jobNotFound(ids: readonly string[], job: string): OrunError {
  // Close to what was typed (a third of its length, at most 3 edits) or to a job name in it, as the planner's
  // did-you-mean; then IDs containing it.
  const suggestions = closeNames(canonicalJobId(job.trim()), ids, { containing: job, forms: jobIdShortForms });
  return new OrunError(`job not found: ${job}`, { hint: suggestions.length ? `did you mean ${suggestions.join(", ")}?` : "list jobs with orun get jobs" });
}
