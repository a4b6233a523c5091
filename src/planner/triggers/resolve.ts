// Binding matching and environment activation: which bindings a trigger
// context matches, which environments they activate (through
// `environments.<e>.activation.triggerRefs`) and the plan scope they ask for.
// Pure: the context was built (and the event file read) by context.ts.

import { OrunError } from "../../util/errors.js";
import { suggestName } from "../validate/did-you-mean.js";
import { matchAnyPattern } from "./glob.js";
import { resolveDotPath } from "./github.js";
import type { BindingLike, NormalizedEvent, PlanScope, TriggerContext, TriggerIntent, TriggerResolution } from "./types.js";

export interface ResolveOptions {
  /** `--env`: comma-separated EXACT environment names intersected with the activated ones. */
  envFilter?: string;
}

/** Does a binding's `on` block accept this event? Empty filter lists accept anything. */
export function matchBinding(binding: BindingLike, event: NormalizedEvent): boolean {
  const on = binding.on;
  if (on.provider !== event.provider || on.event !== event.event) return false;
  if (on.actions.length > 0 && !(event.action !== undefined && on.actions.includes(event.action))) return false;
  if (on.branches.length > 0 && !matchAnyPattern(event.branch ?? "", on.branches)) return false;
  if (on.baseBranches.length > 0 && !matchAnyPattern(event.baseBranch ?? "", on.baseBranches)) return false;
  if (on.tags.length > 0 && !matchAnyPattern(event.tag ?? "", on.tags)) return false;
  return true;
}

/** Resolves a trigger context against the intent's bindings; undefined when no trigger was asked for. */
export function resolveTriggers(intent: TriggerIntent, context: TriggerContext, options: ResolveOptions = {}): TriggerResolution | undefined {
  if (context.mode === "none") return undefined;
  return context.mode === "named-trigger" ? resolveNamed(intent, context.name, options) : resolveEvent(intent, context, options);
}

function resolveNamed(intent: TriggerIntent, name: string, options: ResolveOptions): TriggerResolution {
  const bindings = intent.automation.triggerBindings;
  const binding = bindings[name];
  if (!binding) {
    const names = Object.keys(bindings).sort();
    const suggestion = suggestName(name, names);
    throw new OrunError(`trigger binding "${name}" was not found in automation.triggerBindings`, {
      location: { field: "--trigger" },
      hint: [suggestion ? `did you mean "${suggestion}"?` : "", names.length ? `available: ${names.join(", ")}` : "the intent declares no trigger bindings"]
        .filter(Boolean)
        .join("; "),
    });
  }
  const activatedBy = activations(intent, [name]);
  if (Object.keys(activatedBy).length === 0) {
    throw new OrunError(`trigger binding "${name}" matched, but no environment references it in activation.triggerRefs`, {
      location: binding.origin?.at(),
    });
  }
  const active = intersect(Object.keys(activatedBy).sort(), options.envFilter, `environment ${options.envFilter} is not activated by trigger ${name}`);
  // v2.3 used plan.base/head as literal git refs here, but they are dot-paths into an
  // event payload that a named trigger doesn't have; refs come from --base/--head instead.
  return {
    mode: "named-trigger",
    matchedBindings: [name],
    activeEnvironments: active,
    activatedBy: pick(activatedBy, active),
    scope: binding.plan.scope ?? "",
  };
}

function resolveEvent(intent: TriggerIntent, context: Extract<TriggerContext, { mode: "event-file" }>, options: ResolveOptions): TriggerResolution {
  const bindings = intent.automation.triggerBindings;
  const names = Object.keys(bindings).sort();
  if (names.length === 0) throw new OrunError("no trigger bindings defined in automation.triggerBindings");
  const event = context.event;
  const matched = names.filter((name) => matchBinding(bindings[name]!, event));
  if (matched.length === 0) {
    const guessed = context.eventNameFrom === "unset" || context.eventNameFrom === "empty";
    if (!guessed) throw new OrunError(`no trigger binding matched ${describeEvent(event)}`, { location: { file: context.file }, hint: `bindings: ${names.join(", ")}` });
    // GitHub's payloads do not carry the event's name (the runner sets GITHUB_EVENT_NAME): a local try must set it.
    const why = `GITHUB_EVENT_NAME ${context.eventNameFrom === "unset" ? "is not set" : "is empty"}`;
    const named = event.event === "unknown" ? `${why}, and the payload's fields name no event` : `${why}: "${event.event}" is inferred from the payload's fields`;
    throw new OrunError(`no trigger binding matched ${describeEvent(event)} (${named}; GitHub's event payloads do not carry the event name)`, {
      location: { file: context.file },
      hint: `set GITHUB_EVENT_NAME to the event's name, as GitHub Actions does (e.g. GITHUB_EVENT_NAME=push); bindings: ${names.join(", ")}`,
    });
  }
  const declared = matched.filter((name) => bindings[name]!.plan.scope);
  const scopes = new Set(declared.map((name) => bindings[name]!.plan.scope));
  if (scopes.size > 1) {
    const list = declared.map((name) => `${name}=${bindings[name]!.plan.scope}`).join(", ");
    throw new OrunError(`multiple trigger bindings matched this event but define conflicting plan scopes: ${list}`);
  }
  const activatedBy = activations(intent, matched);
  if (Object.keys(activatedBy).length === 0) {
    throw new OrunError(`trigger binding "${matched.join(", ")}" matched, but no environment references it in activation.triggerRefs`);
  }
  const active = intersect(Object.keys(activatedBy).sort(), options.envFilter, `environment ${options.envFilter} is not activated by any matched trigger`);
  const fromPayload = (field: "base" | "head"): string | undefined => {
    for (const name of matched) {
      const dotPath = bindings[name]!.plan[field];
      const value = dotPath ? resolveDotPath(context.payload, dotPath) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  };
  return {
    mode: "event-file",
    provider: event.provider,
    event: event.event,
    ...(event.action ? { action: event.action } : {}),
    matchedBindings: matched,
    activeEnvironments: active,
    activatedBy: pick(activatedBy, active),
    scope: scopes.size === 1 ? ([...scopes][0] as PlanScope) : "full",
    ...defined("base", usableRef(fromPayload("base") ?? event.baseSHA)),
    ...defined("head", usableRef(fromPayload("head") ?? event.headSHA)),
  };
}

/** environment → the given bindings it references, for environments referencing any. */
function activations(intent: TriggerIntent, bindingNames: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const envName of Object.keys(intent.environments).sort()) {
    const refs = intent.environments[envName]!.activation.triggerRefs;
    const hits = bindingNames.filter((name) => refs.includes(name)).sort();
    if (hits.length > 0) out[envName] = hits;
  }
  return out;
}

function intersect(active: string[], envFilter: string | undefined, message: string): string[] {
  if (envFilter === undefined) return active;
  const wanted = new Set(envFilter.split(",").map((e) => e.trim()).filter(Boolean));
  if (wanted.size === 0) return active;
  const kept = active.filter((env) => wanted.has(env));
  if (kept.length === 0) throw new OrunError(message, { location: { field: "--env" }, hint: `activated: ${active.join(", ")}` });
  return kept;
}

/** A push that creates a branch reports `before` as forty zeros: not a commit to diff against. */
function usableRef(ref: string | undefined): string | undefined {
  return ref === undefined || ref.trim() === "" || /^0+$/.test(ref) ? undefined : ref;
}

function describeEvent(event: NormalizedEvent): string {
  let text = `${event.provider} event ${event.event}`;
  if (event.action) text += ` action ${event.action}`;
  if (event.refType === "pull_request" && event.baseBranch) text += ` into ${event.baseBranch}`;
  if (event.branch) text += ` on branch ${event.branch}`;
  if (event.tag) text += ` for tag ${event.tag}`;
  return text;
}

function pick(record: Record<string, string[]>, keys: string[]): Record<string, string[]> {
  return Object.fromEntries(keys.map((key) => [key, record[key]!]));
}

function defined<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
