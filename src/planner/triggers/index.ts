// Trigger bindings: from `--trigger` / `--from-ci --event-file` to the
// environments a plan covers, its scope, and the `metadata.trigger` record.

import type { PlanTriggerInfo } from "../../model/plan.js";
import type { TriggerResolution } from "./types.js";

export { buildTriggerContext, SUPPORTED_PROVIDERS, type TriggerFlags } from "./context.js";
export { inferGithubEventName, normalizeGithubEvent, resolveDotPath } from "./github.js";
export { matchPattern, matchAnyPattern } from "./glob.js";
export { matchBinding, resolveTriggers, type ResolveOptions } from "./resolve.js";
export { profileRuleProblems, selectProfileRule, triggerRefProblems, validateTriggers, type ProfileRuleComponent } from "./validate.js";
export type * from "./types.js";

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
