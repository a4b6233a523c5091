// The plan's record of what triggered it.

import type { PlanTriggerInfo } from "../../model/plan.js";
import type { TriggerResolution } from "./types.js";

/** The plan's `metadata.trigger` (not covered by the checksum). Refs are the ones the plan was actually scoped with. */
export function triggerInfo(resolution: TriggerResolution, refs: { base?: string; head?: string } = {}): PlanTriggerInfo {
  const base = refs.base ?? resolution.base;
  const head = refs.head ?? resolution.head;
  return {
    mode: resolution.mode,
    ...(resolution.provider ? { provider: resolution.provider } : {}),
    ...(resolution.event ? { event: resolution.event } : {}),
    ...(resolution.action ? { action: resolution.action } : {}),
    matchedBindings: resolution.matchedBindings,
    activeEnvironments: resolution.activeEnvironments,
    activatedBy: resolution.activatedBy,
    scope: resolution.scope,
    ...(base ? { base } : {}),
    ...(head ? { head } : {}),
  };
}
