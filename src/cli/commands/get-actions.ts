// What `orun get components` (alias `orun component [name]`) and `orun get
// environments` do: read the intent as `orun plan` sees it (loaded, presets
// merged, normalized) and list it, without compiling or writing anything.
// With change flags (`--changed`, `--files`, …) the component list is the one
// `orun plan --changed` would plan. Loaded by ./plan.ts only when one of them runs.
import type { Component, Environment } from "../../model/intent.js";
import { encodeShapedYaml } from "../../plan/format-yaml.js";
import { colorEnabled, styles } from "../../plan/summary.js";
import { compositionSourceChangeWarnings } from "../../planner/changes/composition-sources.js";
import { collectChanges, describeReason, describeSource, explainChanges, parseIntentImpact, type ChangeOptions } from "../../planner/changes/index.js";
import { appliesTo, expandInstances, matchesPattern } from "../../planner/expand.js";
import { noMatch } from "../../planner/filter.js";
import { loadWorkspace, type LoadedWorkspace } from "../../planner/load/index.js";
import { normalizeIntent, type NormalizedIntent } from "../../planner/normalize.js";
import { resolveCwdScope, scopeBanner } from "../../planner/scope.js";
import { ciFlagsGiven, selectChanged } from "../../planner/triggers/planning.js";
import { prepareCiWorkspace } from "../../planner/triggers/workspace.js";
import { plannerWarnOnStderr } from "../../util/warning.js";

function out(text: string): void {
  process.stdout.write(text);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The intent as the compiler sees it: discovered components, presets merged, defaults applied. */
async function loadIntentView(intentPath: string | undefined, configDir: string | undefined): Promise<{ workspace: LoadedWorkspace; normalized: NormalizedIntent }> {
  const workspace = await prepareCiWorkspace(await loadWorkspace({ cwd: process.cwd(), intentPath, configDir }));
  return { workspace, normalized: normalizeIntent(workspace.intent, workspace.components) };
}

export interface ComponentRow {
  name: string;
  type: string;
  domain?: string;
  /** false for `enabled: false` (never planned). */
  enabled: boolean;
  /** Sorted names of the environments it applies to (none when disabled). */
  environments: string[];
  path?: string;
  source: Component["source"];
  /** component.yaml path relative to the intent directory (discovered components). */
  manifest?: string;
  dependsOn: { component: string; environment?: string }[];
  /** With change flags: why the component is selected (changed files, a watched intent section, a dependency…). */
  changed?: string[];
}

function componentRow(component: Component, normalized: NormalizedIntent): ComponentRow {
  const enabled = !normalized.disabled.has(component.name);
  return {
    name: component.name,
    type: component.type,
    ...(component.domain ? { domain: component.domain } : {}),
    enabled,
    environments: enabled ? normalized.environments.filter((env) => appliesTo(component, env)).map((env) => env.name) : [],
    ...(component.path ? { path: component.path } : {}),
    source: component.source,
    ...(component.sourcePath ? { manifest: component.sourcePath } : {}),
    dependsOn: component.dependsOn.map((d) => ({ component: d.component, ...(d.environment ? { environment: d.environment } : {}) })),
  };
}

export interface GetComponentsFlags extends ChangeOptions {
  intent?: string;
  configDir?: string;
  long?: boolean;
  all?: boolean;
  output?: string;
  changed?: boolean;
  /** With change flags: print what was compared and why each component is selected (stderr). */
  explain?: boolean;
}

export async function getComponentsAction(name: string | undefined, flags: GetComponentsFlags): Promise<void> {
  const { workspace, normalized } = await loadIntentView(flags.intent, flags.configDir);
  // json/yaml are for machines: banners and change notes stay off stderr.
  const machine = flags.output === "json" || flags.output === "yaml";
  const all = [...workspace.components].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let chosen = all;
  if (name !== undefined) {
    chosen = all.filter((c) => matchesPattern(name, c.name));
    if (chosen.length === 0) throw noMatch("component", name, all.map((c) => c.name), "");
  } else {
    // Inside a component folder: that component and its component dependencies (--all: everything); `get jobs` adds
    // the jobs theirs wait for, which the plan knows.
    const scope = await resolveCwdScope({ cwd: process.cwd(), intentRoot: workspace.rootDir, components: workspace.components, all: flags.all });
    if (scope) {
      const keep = new Set(scope.components);
      chosen = all.filter((c) => keep.has(c.name));
      if (!machine) process.stderr.write(scopeBanner(scope));
    }
  }
  let reasons: Record<string, string[]> | undefined;
  if (ciFlagsGiven(flags)) {
    // The same selection `orun plan --changed` makes: changed components plus their dependencies.
    const set = await collectChanges(flags, { cwd: process.cwd(), intentFile: workspace.intentFile, env: process.env });
    const selection = selectChanged(set, expandInstances(normalized), normalized, parseIntentImpact(flags.intentImpact));
    reasons = Object.fromEntries(Object.entries(selection.reasons).map(([component, list]) => [component, list.map(describeReason)]));
    chosen = chosen.filter((c) => selection.components.includes(c.name));
    if (!machine) {
      for (const note of set.notes) process.stderr.write(`${note}\n`);
      process.stderr.write(flags.explain ? explainChanges(set, selection, workspace.components.length) : `changes: ${describeSource(set.source)}\n`);
    }
    // As `orun plan --changed` warns: an edit to a local composition package selects no component by itself.
    for (const warning of compositionSourceChangeWarnings(selection.changedFiles, workspace.compositions.sources, workspace.rootDir)) plannerWarnOnStderr(warning);
  }
  const rows = chosen.map((c) => ({ ...componentRow(c, normalized), ...(reasons ? { changed: reasons[c.name] ?? [] } : {}) }));
  if (machine) {
    out(flags.output === "json" ? `${JSON.stringify(rows, null, 2)}\n` : encodeShapedYaml(rows));
    return;
  }
  out(renderComponents(rows, Boolean(flags.long), styles(colorEnabled())));
}

export function renderComponents(rows: readonly ComponentRow[], long: boolean, s = styles(false)): string {
  let text = `${plural(rows.length, "component")}\n`;
  // v2.3's columns (`%-24s %-28s`, spec 10 §3.7), widened to the longest name or type when one is longer:
  // a 32-character type pushed its row's environments out of line.
  const nameWidth = Math.max(24, ...rows.map((row) => row.name.length));
  const typeWidth = Math.max(28, ...rows.map((row) => row.type.length));
  for (const row of rows) {
    const envs = !row.enabled ? "(disabled: enabled: false)" : row.environments.length ? row.environments.join(",") : "(no environment)";
    const mark = row.enabled ? s.green("✓") : "○";
    text += `  ${mark} ${row.name.padEnd(nameWidth)} ${row.type.padEnd(typeWidth)} ${envs}\n`;
    if (!long) continue;
    text += `      path:       ${row.path ?? "./"}\n`;
    text += `      defined in: ${row.manifest ?? "intent.yaml (inline)"}\n`;
    if (row.domain) text += `      domain:     ${row.domain}\n`;
    const deps = row.dependsOn.map((d) => (d.environment ? `${d.component}@${d.environment}` : d.component));
    text += `      depends on: ${deps.length ? deps.join(", ") : "-"}\n`;
    if (row.changed) text += `      selected:   ${row.changed.join("; ")}\n`;
  }
  return text;
}

export async function getEnvironmentsAction(flags: { intent?: string; configDir?: string; output?: string }): Promise<void> {
  const { workspace, normalized } = await loadIntentView(flags.intent, flags.configDir);
  if (flags.output === "json" || flags.output === "yaml") {
    const map = rawEnvironments(workspace.intent.environments);
    out(flags.output === "json" ? `${JSON.stringify(map, null, 2)}\n` : encodeShapedYaml(map));
    return;
  }
  out(renderEnvironments(workspace.intent.environments, normalized));
}

const isBlank = (value: unknown): boolean =>
  value === undefined || (Array.isArray(value) ? value.length === 0 : typeof value === "object" && value !== null && Object.keys(value).length === 0);

/** `value` without its blank (undefined, [] or {}) keys; undefined when nothing is left. */
function withoutBlanks(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = Object.fromEntries(Object.entries(value).filter(([, v]) => !isBlank(v)));
  return Object.keys(kept).length ? kept : undefined;
}

/**
 * The environments map as the intent (with its presets) writes it, before
 * normalisation (spec 10 §4): keyed and sorted by name, without the decoder's
 * `name` and its empty defaults (selectors, policies, env, triggerRefs, …).
 */
export function rawEnvironments(environments: Record<string, Environment>): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(environments).sort()) {
    const env = environments[name]!;
    result[name] =
      withoutBlanks({
        path: env.path,
        selectors: withoutBlanks(env.selectors),
        parameterDefaults: env.parameterDefaults,
        policies: env.policies,
        env: env.env,
        activation: withoutBlanks(env.activation),
        promotion: withoutBlanks(env.promotion),
      }) ?? {};
  }
  return result;
}

/** `k=v` pairs, sorted by key; nested values as JSON. */
function briefMap(map: Record<string, unknown>): string {
  const keys = Object.keys(map).sort();
  return keys.length ? keys.map((k) => `${k}=${typeof map[k] === "object" && map[k] !== null ? JSON.stringify(map[k]) : String(map[k])}`).join(",") : "-";
}

export function renderEnvironments(raw: Record<string, Environment>, normalized: NormalizedIntent): string {
  const rows = normalized.environments.map((env) => {
    const promotion = env.promotion.map((p) => (p.strategy === "same-component" ? p.environment : `${p.environment} (${p.strategy})`));
    const count = normalized.components.filter((c) => appliesTo(c, env)).length;
    return [env.name, promotion.join(", ") || "-", (raw[env.name]?.activation.triggerRefs ?? []).join(",") || "-", String(count), briefMap(env.policies)];
  });
  const header = ["NAME", "PROMOTES FROM", "TRIGGERS", "COMPONENTS", "POLICIES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")}\n`;
  return `${line(header)}${rows.map(line).join("")}\n${plural(rows.length, "environment")}\n`;
}
