// CI-driven planning in one call, for the compiler: the trigger (if any)
// decides the environments and the scope; a `changed` scope (from the trigger
// or `--changed`) decides the components. The compiler applies the two
// filters; everything it needs to report lands in the result.

import { detectChangedComponents, type ChangeComponent, type ChangedScope, type ChangeOptions } from "../changes/index.js";
import type { PlanTriggerInfo } from "../../model/plan.js";
import { buildTriggerContext, type TriggerFlags } from "./context.js";
import { resolveTriggers } from "./resolve.js";
import type { TriggerIntent, TriggerResolution } from "./types.js";
import { triggerInfo } from "./info.js";

export interface CiPlanningFlags extends TriggerFlags, ChangeOptions {
  /** `--changed` */
  changed?: boolean;
  /** `-e/--env`: with a trigger it narrows the activated environments (exact names). */
  env?: string;
}

export interface CiPlanningInput {
  intent: TriggerIntent;
  components: readonly ChangeComponent[];
  flags: CiPlanningFlags;
  cwd: string;
  /** Absolute intent.yaml path. */
  intentFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface CiPlanning {
  trigger?: TriggerResolution;
  /** For `metadata.trigger`. */
  triggerInfo?: PlanTriggerInfo;
  /** Environments to keep (trigger-activated); undefined = no environment filter from triggers. */
  environments?: string[];
  /** True when `--env` was consumed by the trigger and must not be applied again. */
  envFlagConsumed: boolean;
  /** Changed-mode result; undefined when not in changed mode. */
  changed?: ChangedScope;
  /** Components to keep (changed + dependencies); undefined = no component filter from changes. */
  components?: string[];
}

export async function resolveCiPlanning(input: CiPlanningInput): Promise<CiPlanning> {
  const { flags } = input;
  const context = await buildTriggerContext(flags, { cwd: input.cwd, env: input.env });
  const trigger = resolveTriggers(input.intent, context, { envFilter: flags.env });
  const changedMode = flags.changed === true || trigger?.scope === "changed";
  if (!changedMode) {
    return {
      ...(trigger ? { trigger, triggerInfo: triggerInfo(trigger), environments: trigger.activeEnvironments } : {}),
      envFlagConsumed: trigger !== undefined,
    };
  }
  // Explicit change flags win; otherwise the refs the CI event carried.
  const explicit = Boolean(flags.base || flags.head || flags.files?.length || flags.uncommitted || flags.untracked);
  const options: ChangeOptions = explicit
    ? flags
    : { ...flags, ...(trigger?.base ? { base: trigger.base } : {}), ...(trigger?.base && trigger.head ? { head: trigger.head } : {}) };
  const changed = await detectChangedComponents(options, { cwd: input.cwd, intentFile: input.intentFile, env: input.env }, input.components);
  const source = changed.set.source;
  const refs = source.kind === "refs" ? { base: source.base, head: source.head } : {};
  return {
    ...(trigger ? { trigger, triggerInfo: triggerInfo(trigger, refs), environments: trigger.activeEnvironments } : {}),
    envFlagConsumed: trigger !== undefined,
    changed,
    components: changed.selection.components,
  };
}
