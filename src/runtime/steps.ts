// Step ordering and identity inside a job.
import type { PlanStep } from "../model/plan.js";

const PHASE_RANK: Record<string, number> = { pre: 0, main: 1, post: 2 };

export function phaseOf(step: PlanStep): "pre" | "main" | "post" {
  const phase = (step.phase ?? "main").toString().trim().toLowerCase();
  return phase === "pre" || phase === "post" ? phase : "main";
}

/** pre → main → post; inside a phase by `order` (missing = 0), then declaration order. */
export function orderSteps(steps: readonly PlanStep[]): PlanStep[] {
  return steps
    .map((step, index) => ({ step, index }))
    .sort(
      (a, b) =>
        PHASE_RANK[phaseOf(a.step)]! - PHASE_RANK[phaseOf(b.step)]! ||
        (a.step.order ?? 0) - (b.step.order ?? 0) ||
        a.index - b.index,
    )
    .map((entry) => entry.step);
}

/** State key of a step: id || name || use || `step-<n>`; duplicates get `-2`, `-3`… so they never collide. */
export function stepKeys(steps: readonly PlanStep[]): string[] {
  const seen = new Map<string, number>();
  return steps.map((step, index) => {
    const base = step.id?.trim() || step.name?.trim() || step.use?.trim() || `step-${index + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}
