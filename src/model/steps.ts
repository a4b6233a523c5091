// Step ordering and identity inside a job: the plan's step model, shared by the plan checks, runtime, runners and
// remote state.
import type { PlanStep } from "./plan.js";

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
  const bases = steps.map((step, index) => step.id?.trim() || step.name?.trim() || step.use?.trim() || `step-${index + 1}`);
  const taken = new Set<string>();
  return bases.map((base) => {
    let key = base;
    // A suffixed key never takes another step's own name (`x`, `x`, `x-2` → x, x-3, x-2).
    for (let n = 2; taken.has(key) || (key !== base && bases.includes(key)); n++) key = `${base}-${n}`;
    taken.add(key);
    return key;
  });
}
