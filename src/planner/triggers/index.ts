// Trigger bindings: from `--trigger` / `--from-ci --event-file` to the
// environments a plan covers, its scope, and the `metadata.trigger` record.

export { buildTriggerContext, SUPPORTED_PROVIDERS, type TriggerFlags } from "./context.js";
export { inferGithubEventName, normalizeGithubEvent, resolveDotPath } from "./github.js";
export { matchPattern, matchAnyPattern } from "./glob.js";
export { matchBinding, resolveTriggers, type ResolveOptions } from "./resolve.js";
export { profileRuleProblems, selectProfileRule, triggerRefProblems, validateTriggers, type ProfileRuleComponent } from "./validate.js";
export { triggerInfo } from "./info.js";
export { ciFlagsGiven, compileForCi, compileRunPlan, resolveCiScope, triggerInfoFor, type CiCompileResult, type CiPlanningFlags, type CiScope } from "./planning.js";
export { prepareCiWorkspace } from "./workspace.js";
export type * from "./types.js";
