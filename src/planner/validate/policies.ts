// Policies are a free-form map (spec 11 §1.5), but `requireApproval` is
// enforced (spec README decision 5). A value orun cannot read as a boolean, a
// key one typo away from a known policy, or a component `domain` one typo away
// from a group (whose policies it would have got) all used to mean "no
// approval", silently. The value is an error; the near misses are warnings,
// since far-away keys and domains stay legal.
import type { FreeMap, Origin } from "../../model/intent.js";
import { policyFlag } from "../../model/plan.js";
import { OrunError } from "../../util/errors.js";
import { closestMatch } from "./did-you-mean.js";
import { matchesPattern } from "../expand.js";
import { quoted } from "../../util/printable.js";

export const KNOWN_POLICIES = ["requireApproval", "requireCleanGitTree", "requirePinnedTerraformVersion"] as const;

/** Where policies are written: an environment, a group or an execution profile. */
export interface PolicyOwner {
  /** e.g. `environment prod`, `group platform`, `composition svc profile "deploy"`. */
  what: string;
  policies: FreeMap | undefined;
  origin: Origin | undefined;
}

function where(origin: Origin | undefined, key: string): { prefix: string; field: string } {
  const at = origin?.at(["policies", key]);
  return { prefix: at?.file ? `${at.file}:${at.line}: ` : "", field: at?.field ?? `policies.${key}` };
}

/** Throws on a `requireApproval` that is not a recognised boolean; returns warnings for near-miss keys. */
export function checkPolicies(owner: PolicyOwner): string[] {
  const policies = owner.policies ?? {};
  const approval = policies.requireApproval;
  if (approval !== undefined && approval !== null) {
    const text = typeof approval === "string" || typeof approval === "boolean" || typeof approval === "number" ? String(approval) : undefined;
    if (text === undefined || policyFlag(text) === undefined) {
      const at = owner.origin?.at(["policies", "requireApproval"]);
      throw new OrunError(
        `${at?.field ?? "policies.requireApproval"}: ${owner.what} requireApproval must be true or false (or yes/no, on/off, 1/0), got ${quoted(approval)}: orun would not know whether to ask for --approve`,
        { location: at ? { file: at.file, line: at.line } : undefined },
      );
    }
  }
  const warnings: string[] = [];
  for (const key of Object.keys(policies).sort()) {
    if ((KNOWN_POLICIES as readonly string[]).includes(key)) continue;
    const meant = closestMatch(key, KNOWN_POLICIES);
    if (meant === undefined || Object.hasOwn(policies, meant)) continue;
    const { prefix, field } = where(owner.origin, key);
    warnings.push(`${prefix}${field}: ${owner.what} sets unknown policy ${key} (did you mean \`${meant}\`?); ${meant} is not set here, and orun ignores ${key}`);
  }
  return warnings;
}

/**
 * A component's `domain` that names no group and no environment's `selectors.domains`, but is one typo
 * from a group name: the component silently misses the group's parameter defaults and policies.
 */
export function domainWarning(
  component: { name: string; domain?: string; origin?: Origin },
  groups: readonly string[],
  selectedDomains: readonly string[],
): string | undefined {
  const domain = component.domain;
  // A bare `*` selects every domain, a typo too: only a named (or prefix) selector shows the domain is meant.
  if (!domain || groups.includes(domain) || selectedDomains.some((p) => p !== "*" && matchesPattern(p, domain))) return undefined;
  const meant = closestMatch(domain, groups);
  if (meant === undefined) return undefined;
  const at = component.origin?.at("domain");
  const prefix = at?.file ? `${at.file}:${at.line}: ` : "";
  return `${prefix}${at?.field ?? "domain"}: component ${component.name} has domain "${domain}", which names no group (did you mean \`${meant}\`?); it gets none of group ${meant}'s parameter defaults or policies`;
}
