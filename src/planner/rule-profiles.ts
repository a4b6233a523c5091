// The jobs a subscription's profileRules would give under another trigger.
//
// A plan renders the profile its own trigger selects; a profileRule's profile
// is used only when that rule's trigger matches (a release tag, a push to
// main), typically in CI. Its steps are rendered here too, and thrown away,
// so that a template error in them (a missing key in a stepOverride's run)
// fails `orun validate` and `orun plan` where it is written, not the first
// CI run of that trigger.
import type { CompositionRegistry } from "../model/composition.js";
import type { StringMap } from "../model/intent.js";
import { formatLocation, OrunError } from "../util/errors.js";
import { bindInstance } from "./bind.js";
import type { InstanceMap } from "./expand.js";
import { materializeJob, type MergedParameters } from "./materialize.js";

export interface RuleProfileContext {
  registry: CompositionRegistry;
  rootEnv: StringMap;
  /** `component@environment` → merged parameters, as the plan's jobs use them. */
  parameters: ReadonlyMap<string, MergedParameters>;
  /** Trigger bindings the plan itself matched: the profile they select was rendered with the plan. */
  matchedTriggers: readonly string[];
}

/** An OrunError's message without the location prefix and hint suffix formatMessage added. */
function bareMessage(err: OrunError): string {
  let message = err.message;
  const where = err.location ? formatLocation(err.location) : "";
  if (where && message.startsWith(`${where}: `)) message = message.slice(where.length + 2);
  if (err.hint && message.endsWith(` (${err.hint})`)) message = message.slice(0, -(err.hint.length + 3));
  return message;
}

/** Renders, for every instance in the plan, the jobs of each profileRule's profile the plan itself did not render. */
export function checkRuleProfiles(instances: InstanceMap, ctx: RuleProfileContext): void {
  for (const list of instances.values()) {
    for (const instance of list) {
      const rules = instance.subscription?.profileRules ?? [];
      if (rules.length === 0) continue;
      // The plan rendered the profile its own triggers select; a rule whose trigger matched may still have lost
      // to an earlier rule, and is selected by an event that matches its trigger alone.
      const own = bindInstance(instance, ctx.registry, { matchedTriggers: ctx.matchedTriggers })[0]?.profile.ref;
      const rendered = new Set<string>(own ? [own] : []);
      for (const rule of rules) {
        const trigger = rule.when?.triggerRef;
        if (!trigger || !rule.profile) continue;
        const jobs = bindInstance(instance, ctx.registry, { matchedTriggers: [trigger] });
        const profile = jobs[0]?.profile.ref ?? rule.profile;
        if (rendered.has(profile)) continue;
        rendered.add(profile);
        for (const job of jobs) {
          try {
            materializeJob(job, { dependsOn: [], gates: [] }, { rootEnv: ctx.rootEnv, parameters: ctx.parameters });
          } catch (err) {
            if (!(err instanceof OrunError)) throw err;
            throw new OrunError(
              `${bareMessage(err)} (under trigger ${trigger}, whose profileRule for ${instance.component.name} in ${instance.environment.name} selects profile ${profile})`,
              { location: err.location, hint: err.hint, cause: err },
            );
          }
        }
      }
    }
  }
}
