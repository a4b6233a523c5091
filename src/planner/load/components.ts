// Components: decoding the component body (inline intent entries and
// component.yaml `spec`), discovering component.yaml/yml files under the
// discovery roots, and merging both into one name-sorted list.

import { promises as fs } from "node:fs";
import path from "node:path";
import { withOrigin, type ChangeWatch, type Origin, type Component, type ComponentDependency, type ProfileRule, type Subscription } from "../../model/intent.js";
import { compareUtf8 } from "../../plan/canonical-json.js";
import { OrunError, type SourceLocation } from "../../util/errors.js";
import { MANIFEST_NAMES } from "../scope.js";
import { closestMatch } from "../validate/did-you-mean.js";
import { validateDocument } from "../validate/documents.js";
import { checkReservedEnv, freeMap, list, obj, optString, stringMap, steps, strings, type Obj } from "./decode.js";
import { errorAt, originAt, readSingleDocument, type PathSegment, type YamlDoc } from "./yaml.js";

/** Where each component's name is written (metadata.name of a manifest, `name` of an inline entry). */
const nameOrigins = new WeakMap<Component, Origin>();

/** Directories never walked for manifests. */
export const SKIPPED_DIRS = new Set([".git", ".orun", "node_modules"]);
const MANIFEST_FILES: ReadonlySet<string> = new Set(MANIFEST_NAMES);

interface BodyOptions {
  name: string;
  source: Component["source"];
  sourcePath?: string;
  /** Default working directory (discovered: the manifest's directory). */
  defaultPath?: string;
}

/** Decodes a schema-validated component body found at `bodyPath` of the document. */
export function decodeComponentBody(yd: YamlDoc, bodyPath: readonly PathSegment[], value: unknown, options: BodyOptions): Component {
  const v = obj(value);
  const at = (...rest: PathSegment[]): PathSegment[] => [...bodyPath, ...rest];
  const subscriptions = list(obj(v.subscribe).environments).map((entry, i) => subscription(yd, at("subscribe", "environments", i), entry));
  const dependsOn = list(v.dependsOn).map((d, i): ComponentDependency => {
    const o = obj(d);
    const dep: Obj = { component: String(o.component) };
    if (typeof o.environment === "string") dep.environment = o.environment;
    if (typeof o.scope === "string") dep.scope = o.scope;
    if (typeof o.condition === "string") dep.condition = o.condition;
    // `scope` only documents what `environment` decides (spec 11: defaulted, otherwise unused): v2.3 intents
    // whose scope disagrees with it plan as v2.3 planned them, by `environment`.
    return withOrigin(dep as unknown as ComponentDependency, originAt(yd, at("dependsOn", i)));
  });
  const component: Obj = {
    name: options.name,
    type: String(v.type ?? ""),
  };
  if (typeof v.domain === "string") component.domain = v.domain;
  if (typeof v.enabled === "boolean") component.enabled = v.enabled;
  const explicitPath = optString(v.path);
  if (explicitPath !== undefined) component.path = explicitPath;
  else if (options.defaultPath !== undefined) component.path = options.defaultPath;
  component.subscribe = { environments: subscriptions };
  if (v.compositionRef !== undefined) {
    const ref = obj(v.compositionRef);
    component.compositionRef = typeof ref.name === "string" ? { source: String(ref.source), name: ref.name } : { source: String(ref.source) };
  }
  component.parameters = freeMap(v.parameters);
  const overrideSteps = steps(yd, at("overrides", "steps"), obj(v.overrides).steps);
  overrideSteps.forEach((st, i) => {
    // Two overrides with one name would each claim the same step ID in the job.
    if (st.name !== undefined && overrideSteps.findIndex((o) => o.name === st.name) < i) {
      throw errorAt(yd, at("overrides", "steps", i, "name"), `component ${options.name} overrides step "${st.name}" twice (step names are step IDs and must be unique in a job)`);
    }
  });
  component.overrides = { steps: overrideSteps };
  component.labels = stringMap(yd, at("labels"), v.labels);
  component.dependsOn = dependsOn;
  component.env = stringMap(yd, at("env"), v.env);
  component.change = { watches: strings(obj(v.change).watches) as ChangeWatch[] };
  component.source = options.source;
  if (options.sourcePath !== undefined) component.sourcePath = options.sourcePath;
  const result = withOrigin(component as unknown as Component, originAt(yd, bodyPath));
  nameOrigins.set(result, originAt(yd, options.source === "inline" ? [...bodyPath, "name"] : ["metadata", "name"]));
  checkReservedEnv(yd, at("env"), result.env, `component ${result.name} root env`);
  subscriptions.forEach((s, i) => checkReservedEnv(yd, at("subscribe", "environments", i, "env"), s.env, `component ${result.name} subscription ${s.name} env`));
  return result;
}

function subscription(yd: YamlDoc, p: readonly PathSegment[], entry: unknown): Subscription {
  if (typeof entry === "string") {
    return withOrigin({ name: entry, profileRules: [], env: {}, parameters: {} } as unknown as Subscription, originAt(yd, p));
  }
  const o = obj(entry);
  const rules = list(o.profileRules).map((r, i): ProfileRule => {
    const ro = obj(r);
    const when = obj(ro.when);
    const rule: Obj = { when: typeof when.triggerRef === "string" ? { triggerRef: when.triggerRef } : {} };
    if (typeof ro.profile === "string") rule.profile = ro.profile;
    return withOrigin(rule as unknown as ProfileRule, originAt(yd, [...p, "profileRules", i]));
  });
  const out: Obj = { name: String(o.name) };
  if (typeof o.profile === "string") out.profile = o.profile;
  out.profileRules = rules;
  out.env = stringMap(yd, [...p, "env"], o.env);
  out.parameters = freeMap(o.parameters);
  return withOrigin(out as unknown as Subscription, originAt(yd, p));
}

/** `apps/` → `apps`, `./x/../y` → `y`; sorted, de-duplicated; `["."]` when none remain. */
export function normalizeRoots(roots: readonly string[]): string[] {
  const cleaned = new Set<string>();
  for (const raw of roots) {
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const norm = path.posix.normalize(trimmed.replace(/\\/g, "/")).replace(/\/+$/, "") || ".";
    cleaned.add(norm);
  }
  return cleaned.size ? [...cleaned].sort(compareUtf8) : ["."];
}

/**
 * Finds component.yaml/yml files under the roots (relative to rootDir). Returns
 * manifest paths relative to rootDir with forward slashes, sorted byte-wise, so the
 * result never depends on the order the file system lists entries.
 */
export async function discoverManifests(
  rootDir: string,
  roots: readonly string[],
  where: SourceLocation | string,
  locateRoot?: (root: string) => SourceLocation | undefined,
): Promise<string[]> {
  const whole: SourceLocation = typeof where === "string" ? { file: where, field: "discovery.roots" } : where;
  const found = new Set<string>();
  for (const root of normalizeRoots(roots)) {
    const location = locateRoot?.(root) ?? whole;
    const abs = path.join(rootDir, root.replace(/^\/+/, ""));
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch (cause) {
      throw new OrunError(`discovery root ${root} does not exist (${abs})${await nearMissFolder(rootDir, root)}`, { location, cause });
    }
    if (!stat.isDirectory()) {
      throw new OrunError(`discovery root is not a directory: ${root}`, { location });
    }
    await walk(abs, rootDir, found, { root, location });
  }
  return [...found].sort(compareUtf8);
}

/** ` (did you mean \`apps\`?)` for a root `aps` beside a folder `apps`; "" when no sibling folder is close. */
async function nearMissFolder(rootDir: string, root: string): Promise<string> {
  const parent = path.posix.dirname(root);
  const entries = await fs.readdir(path.join(rootDir, parent.replace(/^\/+/, "")), { withFileTypes: true }).catch(() => []);
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
  const match = closestMatch(path.posix.basename(root), folders);
  return match === undefined ? "" : ` (did you mean \`${parent === "." ? match : path.posix.join(parent, match)}\`?)`;
}

/** The discovery root being walked and where the intent names it, for errors met below it. */
interface WalkOrigin {
  root: string;
  location: SourceLocation;
}

async function walk(dir: string, rootDir: string, found: Set<string>, origin: WalkOrigin): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (cause) {
    // Named by its root and the intent's field: a folder the user cannot read (a container volume owned by
    // root) failed `orun plan` with "failed to scan <dir>: EACCES" alone.
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    const shown = path.relative(rootDir, dir);
    throw new OrunError(`failed to scan discovery root ${origin.root}: cannot read ${shown.startsWith("..") ? dir : shown || "."} (${code})`, {
      location: origin.location,
      hint: "make the folder readable, or narrow discovery.roots to the folders that hold component.yaml files",
      cause,
    });
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      // Symlinked directories report isSymbolicLink(), not isDirectory(): they are not followed.
      if (!SKIPPED_DIRS.has(e.name)) await walk(path.join(dir, e.name), rootDir, found, origin);
    } else if ((e.isFile() || e.isSymbolicLink()) && MANIFEST_FILES.has(e.name)) {
      found.add(toSlash(path.relative(rootDir, path.join(dir, e.name))));
    }
  }
}

export function toSlash(p: string): string {
  return p.split(path.sep).join("/");
}

/** Reads, validates and decodes one component.yaml (`rel` relative to rootDir). */
export async function loadManifest(rootDir: string, rel: string): Promise<Component> {
  const yd = await readSingleDocument(path.join(rootDir, rel), rel);
  validateDocument(yd, "component");
  const doc = obj(yd.value);
  const name = String(obj(doc.metadata).name);
  const dir = path.posix.dirname(rel);
  return decodeComponentBody(yd, ["spec"], doc.spec, {
    name,
    source: "discovered",
    sourcePath: rel,
    defaultPath: dir === "." ? "./" : dir,
  });
}

/**
 * Inline components (intent order) then discovered ones (path order), checked for
 * duplicate names, returned sorted by name.
 */
export function mergeComponents(inline: readonly Component[], discovered: readonly Component[]): Component[] {
  const byName = new Map<string, Component>();
  for (const c of [...inline, ...discovered]) {
    const prior = byName.get(c.name);
    if (prior) {
      const here = nameOrigins.get(c) ?? c.origin;
      const there = nameOrigins.get(prior) ?? prior.origin;
      throw new OrunError(`duplicate component name: ${c.name} (also defined at ${there.file}:${there.line})`, {
        location: { file: here.file, line: here.line },
      });
    }
    byName.set(c.name, c);
  }
  return [...byName.values()].sort((a, b) => compareUtf8(a.name, b.name));
}
