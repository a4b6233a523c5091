// Context-aware scoping: `orun run` and `orun get jobs` started inside a
// component's folder work on that component and what it depends on, as if
// `--component <it>` had been given; `--all` turns this off. A plan records
// the component set it was made for (`metadata.scope`), so running it from a
// folder with a different scope warns instead of silently doing other work.

import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import type { Plan, PlanMetadata } from "../model/plan.js";
import { decodeText } from "./load/yaml.js";
import { isInside } from "../util/paths.js";
import { warningLine } from "../util/warning.js";

export const MANIFEST_NAMES = ["component.yaml", "component.yml"] as const;

export interface ComponentContext {
  /** The component's name (component.yaml `metadata.name`). */
  name: string;
  /** Absolute path of its manifest. */
  manifest: string;
}

/**
 * Walks up from `cwd` towards `intentRoot` and returns the first component
 * manifest that names a component. The intent root itself gives no context
 * (standing there means "the whole repository", even when a component lives
 * there too), nor does anywhere outside it. Unreadable or nameless manifests
 * are passed over.
 */
export async function findComponentContext(cwd: string, intentRoot: string): Promise<ComponentContext | undefined> {
  const root = await realpath(intentRoot).catch(() => path.resolve(intentRoot));
  let dir = await realpath(cwd).catch(() => path.resolve(cwd));
  if (!isInside(root, dir)) return undefined;
  while (dir !== root) {
    for (const file of MANIFEST_NAMES) {
      const name = await manifestName(path.join(dir, file));
      if (name) return { name, manifest: path.join(dir, file) };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

async function manifestName(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = decodeText(await readFile(file), file);
  } catch {
    return undefined;
  }
  try {
    const doc = parse(text) as { metadata?: { name?: unknown } } | null;
    const name = doc?.metadata?.name;
    return typeof name === "string" && name.trim() ? name.trim() : undefined;
  } catch {
    // The planner reports a broken manifest properly; scoping just doesn't apply.
    return undefined;
  }
}

/** A component as scoping sees it: its name and the components it depends on. */
export interface ScopeComponent {
  name: string;
  dependsOn: readonly { component: string }[];
}

/** The component and its transitive dependencies (by component name, any environment), sorted. */
export function componentClosure(name: string, components: readonly ScopeComponent[]): string[] {
  const byName = new Map(components.map((c) => [c.name, c]));
  const seen = new Set([name]);
  const queue = [name];
  while (queue.length > 0) {
    for (const dep of byName.get(queue.shift()!)?.dependsOn ?? []) {
      if (!seen.has(dep.component) && byName.has(dep.component)) {
        seen.add(dep.component);
        queue.push(dep.component);
      }
    }
  }
  return [...seen].sort();
}

export type PlanScopeRecord = NonNullable<PlanMetadata["scope"]>;

export interface CwdScopeOptions {
  cwd: string;
  intentRoot: string;
  components: readonly ScopeComponent[];
  /** `--all` */
  all?: boolean;
  /** `--component` given explicitly: it wins over the folder. */
  explicitComponents?: readonly string[];
}

/** The scope implied by the working directory, or undefined when none applies. */
export async function resolveCwdScope(options: CwdScopeOptions): Promise<PlanScopeRecord | undefined> {
  if (scopingOff(options)) return undefined;
  const context = await findComponentContext(options.cwd, options.intentRoot);
  return context && scopeOf(context.name, options.components);
}

/** `--all` or an explicit `--component` switches working-directory scoping off. */
function scopingOff(options: { all?: boolean; explicitComponents?: readonly string[] }): boolean {
  return Boolean(options.all) || (options.explicitComponents?.length ?? 0) > 0;
}

/** The detected component and its dependency closure; undefined when the intent does not know it. */
function scopeOf(name: string, components: readonly ScopeComponent[]): PlanScopeRecord | undefined {
  if (!components.some((c) => c.name === name)) return undefined;
  return { detectedComponent: name, components: componentClosure(name, components) };
}

/** Banner for stderr: `context: auto-scoped to component api (+ 1 dependency: lib)` and the `--all` hint. */
export function scopeBanner(scope: PlanScopeRecord): string {
  const name = scope.detectedComponent ?? scope.components.join(", ");
  const deps = scope.components.filter((c) => c !== scope.detectedComponent);
  const extra = deps.length ? ` (+ ${deps.length} ${deps.length === 1 ? "dependency" : "dependencies"}: ${deps.join(", ")})` : "";
  return `context: auto-scoped to component ${name}${extra}\nhint: pass --all to include all components\n`;
}

/** A warning when a plan made for one component set is run under another; undefined when they agree. */
export function scopeMismatchWarning(plan: Pick<Plan, "metadata">, current: PlanScopeRecord | undefined): string | undefined {
  const recorded = plan.metadata.scope;
  if (!recorded || !current) return undefined;
  const a = [...recorded.components].sort();
  const b = [...current.components].sort();
  if (a.length === b.length && a.every((c, i) => c === b[i])) return undefined;
  return warningLine(`plan was generated for [${a.join(", ")}] but current scope is [${b.join(", ")}]`);
}

/**
 * The working-directory scope for `orun run` / `orun get jobs`: finds the
 * intent, then the component folder you stand in, and only then loads the
 * workspace for the dependency closure (a plain repository-root run costs
 * nothing). Undefined when `--all`/`--component` was given or no component applies.
 */
export async function detectCwdScope(options: { cwd: string; intentPath?: string; configDir?: string; all?: boolean; explicitComponents?: readonly string[] }): Promise<PlanScopeRecord | undefined> {
  if (scopingOff(options)) return undefined;
  const { locateIntent, loadWorkspace } = await import("./load/index.js");
  let intentFile: string;
  try {
    intentFile = await locateIntent({ cwd: options.cwd, intentPath: options.intentPath });
  } catch {
    return undefined;
  }
  const context = await findComponentContext(options.cwd, path.dirname(intentFile));
  if (!context) return undefined;
  let components: readonly ScopeComponent[];
  try {
    components = (await loadWorkspace({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir })).components;
  } catch {
    // A broken intent is reported by whatever compiles it; scope to the component alone.
    return { detectedComponent: context.name, components: [context.name] };
  }
  return scopeOf(context.name, components);
}

/**
 * `orun run`'s working-directory scope: the component filter to run with
 * (undefined = no scoping) and the banner/warning lines for stderr.
 */
export async function runScope(options: {
  cwd: string;
  intentPath?: string;
  configDir?: string;
  all?: boolean;
  explicitComponents?: readonly string[];
  plan: Pick<Plan, "metadata">;
  /** `--json`: no banner (the warning still goes to stderr). */
  quiet?: boolean;
  /**
   * The components whose jobs the run takes under the filter: the banner names them, since a job may wait for
   * another component's job (an environment barrier) that the component dependencies do not name.
   */
  componentsTaken: (filter: readonly string[]) => string[];
}): Promise<{ components?: string[]; messages: string }> {
  const scope = await detectCwdScope(options);
  if (!scope) return { messages: "" };
  const warning = scopeMismatchWarning(options.plan, scope) ?? "";
  const banner = options.quiet ? "" : scopeBanner({ ...scope, components: options.componentsTaken(scope.components) });
  return { components: scope.components, messages: `${banner}${warning}` };
}
