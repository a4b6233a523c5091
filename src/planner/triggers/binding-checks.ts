// Trigger bindings that can never match an event passed validate silently:
// in CI they showed up only as "no trigger binding matched github event …".
// orun reads only GitHub events (`--from-ci github`, spec 12 §6.1), and
// matches `on.provider` and `on.event` exactly, so a binding for another
// provider, or for an event name GitHub never sends (a typo), matches no event
// file. Both are warnings, not errors: `--trigger <name>` still selects such a
// binding by name.
import type { TriggerBinding } from "../../model/intent.js";
import { compareUtf8 } from "../../plan/canonical-json.js";
import { closestMatch } from "../validate/did-you-mean.js";
import { SUPPORTED_PROVIDERS } from "./context.js";

/** The events that trigger GitHub Actions workflows (GITHUB_EVENT_NAME values). */
export const GITHUB_EVENTS = [
  "branch_protection_rule", "check_run", "check_suite", "create", "delete", "deployment", "deployment_status", "discussion",
  "discussion_comment", "fork", "gollum", "issue_comment", "issues", "label", "merge_group", "milestone", "page_build",
  "project", "project_card", "project_column", "public", "pull_request", "pull_request_review", "pull_request_review_comment",
  "pull_request_target", "push", "registry_package", "release", "repository_dispatch", "schedule", "status", "watch",
  "workflow_call", "workflow_dispatch", "workflow_run",
] as const;

function where(binding: TriggerBinding, field: "provider" | "event"): { prefix: string; field: string } {
  const at = binding.origin?.at(["on", field]);
  return { prefix: at?.file ? `${at.file}:${at.line}: ` : "", field: at?.field ?? `automation.triggerBindings.${binding.name}.on.${field}` };
}

/** Warnings for bindings whose provider or event no event file can match. */
export function unmatchableBindingWarnings(bindings: Record<string, TriggerBinding>): string[] {
  const warnings: string[] = [];
  const supported = SUPPORTED_PROVIDERS.join(", ");
  for (const name of Object.keys(bindings).sort(compareUtf8)) {
    const binding = bindings[name]!;
    const { provider, event } = binding.on;
    if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(provider)) {
      const { prefix, field } = where(binding, "provider");
      // Matching is exact: `GitHub` is a case away; another provider gets no "did you mean".
      const meant = SUPPORTED_PROVIDERS.find((p) => p === provider.trim().toLowerCase());
      warnings.push(
        `${prefix}${field}: trigger binding ${name} is for provider "${provider}"${meant ? ` (did you mean \`${meant}\`?)` : ""}, but orun reads only ${supported} events (--from-ci ${supported}), so it matches no event; only --trigger ${name} selects it`,
      );
      continue;
    }
    if (provider === "github" && !(GITHUB_EVENTS as readonly string[]).includes(event)) {
      const { prefix, field } = where(binding, "event");
      const meant = closestMatch(event, GITHUB_EVENTS);
      warnings.push(
        `${prefix}${field}: trigger binding ${name} waits for GitHub event "${event}", which GitHub never sends${meant ? ` (did you mean \`${meant}\`?)` : ""}, so it matches no event; only --trigger ${name} selects it`,
      );
    }
  }
  return warnings;
}
