// The trigger vocabulary shared by the trigger modules: where a plan's
// trigger came from (context), what the CI event said (normalised event) and
// what the bindings made of it (resolution → plan `metadata.trigger`).

import type { Environment, TriggerBinding } from "../../model/intent.js";
import type { PlanTriggerInfo } from "../../model/plan.js";

/** The parts of a trigger binding the resolver reads (tests build these without origins). */
export type BindingLike = Pick<TriggerBinding, "on" | "plan"> & Partial<Pick<TriggerBinding, "origin" | "description">>;
export type EnvironmentLike = { activation: Pick<Environment["activation"], "triggerRefs"> } & Partial<Pick<Environment, "origin">>;

/** The slice of an intent that triggers depend on. */
export interface TriggerIntent {
  automation: { triggerBindings: Record<string, BindingLike> };
  environments: Record<string, EnvironmentLike>;
}

export type RefType = "branch" | "tag" | "pull_request" | "unknown";

/** A CI event reduced to what bindings match on. */
export interface NormalizedEvent {
  provider: string;
  event: string;
  action?: string;
  ref?: string;
  refType: RefType;
  branch?: string;
  baseBranch?: string;
  tag?: string;
  baseSHA?: string;
  headSHA?: string;
  repository?: string;
  actor?: string;
}

export type TriggerContext =
  | { mode: "none" }
  | { mode: "named-trigger"; name: string }
  | {
      mode: "event-file";
      provider: string;
      /** The event file as given on the command line. */
      file: string;
      event: NormalizedEvent;
      /**
       * Where the event's name came from: GITHUB_EVENT_NAME, else (unset or blank: "unset"/"empty") inferred from the
       * payload's fields, which do not carry it. Said when no binding matches, so a local try knows what to set.
       */
      eventNameFrom?: "GITHUB_EVENT_NAME" | "unset" | "empty";
      /** The raw event JSON, for `plan.base/head` dot-paths. */
      payload: Record<string, unknown>;
    };

export type PlanScope = PlanTriggerInfo["scope"];

/**
 * What the trigger bindings decided for one plan: the plan's `metadata.trigger`
 * record, always with `activatedBy`. Bindings and environments are sorted;
 * `base`/`head` are the refs to compare in changed scope (event mode: from the payload).
 */
export type TriggerResolution = PlanTriggerInfo & { activatedBy: Record<string, string[]> };
