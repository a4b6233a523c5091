// The jobs a run takes from its plan: all of them in dependency order, those its scope keeps (`--component`,
// `--env`: run-scope.ts), and `--job`'s one job (its target), refused with a hint when the plan or the scope lacks it.
import { canonicalJobId, type Plan, type PlanJob } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { orderJobs } from "./graph.js";
import { scopeJobs } from "./run-scope.js";

export interface Selection {
  /** Every job of the plan, in dependency order. */
  ordered: PlanJob[];
  /** The jobs this run runs, in that order. */
  selected: PlanJob[];
  /** `--job`'s job, the one selected. */
  target?: PlanJob;
}

/** What of the run's options picks its jobs. */
export interface SelectionFlags {
  job?: string;
  retry?: boolean;
  components?: string[];
  environments?: string[];
}

export function selectJobs(plan: Plan, options: SelectionFlags): Selection {
  const ordered = orderJobs(plan.jobs);
  const selected = scopeJobs(ordered, options).jobs;
  if (options.retry && !options.job) throw new OrunError("--retry requires --job");
  if (!options.job) return { ordered, selected };
  const wanted = canonicalJobId(options.job);
  const target = selected.find((job) => job.id === wanted);
  if (!target && ordered.some((job) => job.id === wanted)) {
    const filters = [...(options.components ?? []).map((c) => `--component ${c}`), ...(options.environments ?? []).map((e) => `--env ${e}`)];
    throw new OrunError(`job ${wanted} is not among the jobs selected by ${filters.join(" ") || "the filters"}`, { hint: "drop the filters that exclude it" });
  }
  if (!target) {
    const close = ordered.filter((job) => job.id.includes(options.job!.trim())).map((job) => job.id).slice(0, 5);
    throw new OrunError(`job not found: ${options.job}`, { hint: close.length ? `did you mean ${close.join(", ")}?` : "list jobs with orun get jobs" });
  }
  return { ordered, selected: [target], target };
}
