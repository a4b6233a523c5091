// Static checks that tie triggers to the rest of the intent: profileRules
// must name a fallback profile and existing bindings, and environments must
// reference bindings that exist. Every problem is collected, then reported
// together, each naming its file and line when the loader recorded one.

import type { Origin } from "../../model/intent.js";
import { OrunError, formatLocation } from "../../util/errors.js";
import { compareUtf8 } from "../../plan/canonical-json.js";
import { suggestName } from "../validate/did-you-mean.js";
import type { TriggerIntent } from "./types.js";

interface RuleLike {
  profile?: string;
  when: { triggerRef?: string };
  origin?: Origin;
}
interface SubscriptionLike {
  name: string;
  profile?: string;
  profileRules: RuleLike[];
  origin?: Origin;
}
export interface ProfileRuleComponent {
  name: string;
  subscribe: { environments: SubscriptionLike[] };
}

/** v2.3's ValidateProfileRules: problems as `component "c" subscription "e": …` lines. */
export function profileRuleProblems(components: readonly ProfileRuleComponent[], bindingNames: readonly string[]): string[] {
  const known = new Set(bindingNames);
  const problems: string[] = [];
  for (const component of [...components].sort((a, b) => compareUtf8(a.name, b.name))) {
    for (const sub of component.subscribe.environments) {
      if (sub.profileRules.length === 0) continue;
      const prefix = `${where(sub.origin, "profileRules")}component "${component.name}" subscription "${sub.name}"`;
      if (!sub.profile?.trim()) problems.push(`${prefix}: profile is required when profileRules is defined`);
      sub.profileRules.forEach((rule, i) => {
        const at = `${where(rule.origin)}component "${component.name}" subscription "${sub.name}": profileRules[${i}]`;
        if (!rule.profile?.trim()) problems.push(`${at}.profile is required`);
        const ref = rule.when.triggerRef?.trim();
        if (!ref) problems.push(`${at}.when.triggerRef is required`);
        else if (!known.has(ref)) problems.push(`${at}.when.triggerRef "${ref}" does not exist in automation.triggerBindings${suggest(ref, bindingNames)}`);
      });
    }
  }
  return problems;
}

/** Environments' activation.triggerRefs must name declared bindings, once each. */
export function triggerRefProblems(intent: TriggerIntent): string[] {
  const names = Object.keys(intent.automation.triggerBindings);
  const problems: string[] = [];
  for (const envName of Object.keys(intent.environments).sort()) {
    const env = intent.environments[envName]!;
    const seen = new Set<string>();
    for (const ref of env.activation.triggerRefs) {
      const at = where(env.origin, "activation.triggerRefs");
      if (seen.has(ref)) problems.push(`${at}environment "${envName}" has duplicate triggerRef "${ref}"`);
      else if (!names.includes(ref)) problems.push(`${at}environment "${envName}" references unknown trigger binding "${ref}"${suggest(ref, names)}`);
      seen.add(ref);
    }
  }
  return problems;
}

/** Throws `trigger validation failed:` listing every problem, if there are any. */
export function validateTriggers(intent: TriggerIntent, components: readonly ProfileRuleComponent[]): void {
  const problems = [...triggerRefProblems(intent), ...profileRuleProblems(components, Object.keys(intent.automation.triggerBindings))];
  if (problems.length > 0) throw new OrunError(`trigger validation failed:\n  ${problems.join("\n  ")}`);
}

/** The first profileRule whose triggerRef matched wins (v2.3); undefined → plain profile resolution. */
export function selectProfileRule<R extends RuleLike>(rules: readonly R[], matchedBindings: readonly string[]): R | undefined {
  if (matchedBindings.length === 0) return undefined;
  return rules.find((rule) => rule.when.triggerRef !== undefined && matchedBindings.includes(rule.when.triggerRef));
}

function where(origin: Origin | undefined, field?: string): string {
  return origin ? `${formatLocation(origin.at(field))}: ` : "";
}

function suggest(input: string, names: readonly string[]): string {
  const hit = suggestName(input, names);
  return hit ? ` (did you mean "${hit}"?)` : "";
}
