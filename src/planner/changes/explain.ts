// `--explain`: what was compared, which files changed, and for each selected
// component why it is in the plan (changed directly, watches a section, is a
// dependency of another selected component). Printed on stderr by the CLI.

import type { ChangeSet, ChangeSource } from "./files.js";
import type { ChangeReason, ChangeSelection } from "./select.js";

export function explainChanges(set: ChangeSet, selection: ChangeSelection, totalComponents: number): string {
  const lines: string[] = [`changes: ${describeSource(set.source)}`];
  lines.push(`changed files (${selection.changedFiles.length}):`);
  for (const file of selection.changedFiles) lines.push(`  ${file}`);
  if (selection.intentChanged) lines.push(describeIntent(selection));
  lines.push(`selected components (${selection.components.length} of ${totalComponents}):`);
  const width = Math.max(0, ...selection.components.map((name) => name.length));
  for (const name of selection.components) {
    lines.push(`  ${name.padEnd(width)}  ${selection.reasons[name]!.map(describeReason).join("; ")}`);
  }
  if (selection.unownedFiles.length > 0) {
    lines.push(`files outside every component (${selection.unownedFiles.length}):`);
    for (const file of selection.unownedFiles) lines.push(`  ${file}`);
  }
  return `${lines.join("\n")}\n`;
}

export function describeSource(source: ChangeSource): string {
  switch (source.kind) {
    case "files":
      return "files given with --files";
    case "uncommitted":
      return "uncommitted changes (staged and unstaged) against HEAD";
    case "untracked":
      return "untracked files";
    case "refs": {
      const base = `base ${source.base} (${short(source.baseSha)})`;
      const head = source.head ? `head ${source.head} (${short(source.headSha!)})` : "the working tree (with uncommitted and untracked files)";
      const from = source.from !== source.baseSha ? `, from merge base ${short(source.from)}` : "";
      return `${base} → ${head}${from}${source.ci ? `, refs detected from ${source.ci} CI` : ""}`;
    }
  }
}

export function describeReason(reason: ChangeReason): string {
  switch (reason.kind) {
    case "files":
      return `changed: ${reason.files.join(", ")}`;
    case "manifest":
      return `manifest changed: ${reason.file}`;
    case "watches":
      return `watches ${reason.sections.join(", ")} (changed in the intent)`;
    case "intent-impact-all":
      return "the intent changed (--intent-impact all)";
    case "intent-component":
      return `${reason.change} in the intent`;
    case "dependency":
      return `dependency of ${reason.of.join(", ")}`;
  }
}

function describeIntent(selection: ChangeSelection): string {
  const diff = selection.intentDiff;
  if (!diff) return "intent file changed: which sections is unknown without revisions to compare (use --base/--head)";
  if (diff.unreadable) return `intent file changed but could not be compared (${diff.unreadable})`;
  const parts: string[] = [];
  if (diff.changedSections.length) parts.push(`sections ${diff.changedSections.join(", ")}`);
  for (const kind of ["added", "modified", "removed"] as const) {
    if (diff.components[kind].length) parts.push(`components ${kind}: ${diff.components[kind].join(", ")}`);
  }
  return parts.length ? `intent file changed: ${parts.join("; ")}` : "intent file changed: formatting or comments only (no effect)";
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
