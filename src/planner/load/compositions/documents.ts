// Composition documents: a Composition (inline, split-kind or mixed) and the
// ComponentSchema, JobTemplate and ExecutionProfile documents it references.
// Files may hold several documents separated by `---`; a reference is looked
// up in the composition's own file first, then in the conventional files
// (`schema.yaml`/`<name>.yaml`, `jobs/<name>.yaml`, `profiles/<name>.yaml`).

import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Composition, ComponentSchema, ExecutionProfile, JobTemplate, ProfileJobSettings, StepOverride } from "../../../model/composition.js";
import { withOrigin, type StepSpec } from "../../../model/intent.js";
import type { CompositionSourceRecord } from "../../../model/plan.js";
import { OrunError, type SourceLocation } from "../../../util/errors.js";
import { validateDocument } from "../../validate/documents.js";
import { closestMatch, didYouMean } from "../../validate/did-you-mean.js";
import { compileComponentSchema } from "../../validate/parameters.js";
import { freeMap, list, obj, optString, stringMap, steps, strings, type Obj } from "../decode.js";
import { errorAt, originAt, readYamlFile, type PathSegment, type YamlDoc } from "../yaml.js";

const KIND_SCHEMAS = {
  Composition: "composition",
  ComponentSchema: "component-schema",
  JobTemplate: "job-template",
  ExecutionProfile: "execution-profile",
} as const;
type DocKind = keyof typeof KIND_SCHEMAS;

export interface CompositionContext {
  sourceName: string;
  sourceKind: CompositionSourceRecord["kind"];
  packageName: string;
  /** Names files in messages. */
  display: (abs: string) => string;
}

/** Per-package cache of parsed files, so a file shared by several references is read once. */
export class DocumentCache {
  private readonly files = new Map<string, Promise<YamlDoc[] | undefined>>();
  constructor(private readonly display: (abs: string) => string) {}

  /**
   * All documents of a file (each of a known kind; validated against its kind's
   * schema when picked, see `validated`); undefined when the file does not exist.
   */
  read(abs: string): Promise<YamlDoc[] | undefined> {
    let p = this.files.get(abs);
    if (!p) {
      p = this.load(abs);
      this.files.set(abs, p);
    }
    return p;
  }

  private async load(abs: string): Promise<YamlDoc[] | undefined> {
    try {
      const docs = await readYamlFile(abs, this.display(abs));
      for (const yd of docs) checkKind(yd);
      return docs;
    } catch (err) {
      if (err instanceof OrunError && /cannot read .*: (ENOENT|EISDIR|ENOTDIR)/.test(err.message)) return undefined;
      throw err;
    }
  }
}

function kindOf(yd: YamlDoc): string | undefined {
  const k = obj(yd.value).kind;
  return typeof k === "string" ? k : undefined;
}

function nameOf(yd: YamlDoc): string | undefined {
  const n = obj(obj(yd.value).metadata).name;
  return typeof n === "string" ? n : undefined;
}

/** Every document of a composition file must be one of the four kinds. */
function checkKind(yd: YamlDoc): void {
  if (yd.value === null || yd.value === undefined) return; // an empty document between `---` separators
  const kind = kindOf(yd);
  const kinds = Object.keys(KIND_SCHEMAS);
  if (kind === undefined || !(kind in KIND_SCHEMAS)) {
    const hint = kind === undefined ? "" : didYouMean(kind, kinds);
    throw errorAt(yd, ["kind"], `${kind === undefined ? "missing kind" : `unknown kind "${kind}"`}${hint}; expected one of ${kinds.join(", ")}`);
  }
}

/** A picked document, validated against its kind's schema. */
function validated(yd: YamlDoc): YamlDoc {
  validateDocument(yd, KIND_SCHEMAS[kindOf(yd) as DocKind]);
  return yd;
}

async function findDocument(
  cache: DocumentCache,
  kind: DocKind,
  name: string,
  sameFile: readonly YamlDoc[],
  candidates: string[],
): Promise<YamlDoc | undefined> {
  const match = (yd: YamlDoc): boolean => kindOf(yd) === kind && nameOf(yd) === name;
  const local = sameFile.find(match);
  if (local) return validated(local);
  for (const file of candidates) {
    const docs = await cache.read(file);
    const found = docs?.find(match);
    if (found) return validated(found);
  }
  return undefined;
}

/**
 * `<kind> "<name>" not found in <dir> (looked in …)`, with what can explain the miss: a file the reference leads to
 * that holds a document of that kind under another name (its metadata.name misspelt), else the nearest name of such
 * a document in the composition's file or the folders searched (the reference misspelt).
 */
async function notFound(cache: DocumentCache, kind: DocKind, name: string, sameFile: readonly YamlDoc[], dir: string, candidates: string[], display: (abs: string) => string): Promise<string> {
  const relative = (file: string): string => path.relative(dir, file).split(path.sep).join("/");
  const readable = async (file: string): Promise<YamlDoc[]> => (await cache.read(file).catch(() => undefined)) ?? [];
  const namesIn = (docs: readonly YamlDoc[]): string[] => docs.filter((yd) => kindOf(yd) === kind).flatMap((yd) => nameOf(yd) ?? []);
  const notes: string[] = [];
  for (const file of candidates) {
    const held = namesIn(await readable(file));
    if (held.length > 0) notes.push(`${relative(file)} holds ${kind} ${held.map((n) => `"${n}"`).join(", ")}`);
  }
  if (notes.length === 0) {
    const names = namesIn(sameFile);
    for (const folder of new Set(candidates.map((file) => path.dirname(file)))) {
      const entries = await readdir(folder).catch(() => [] as string[]);
      for (const entry of entries.filter((e) => /\.ya?ml$/.test(e)).sort()) names.push(...namesIn(await readable(path.join(folder, entry))));
    }
    const near = didYouMean(name, names);
    if (near) notes.push(near.trim().replace(/^\((.*)\)$/, "$1"));
  }
  const looked = `looked in ${candidates.map(relative).join(" and ")}`;
  return `${kind} "${name}" not found in ${display(dir)} (${[looked, ...notes].join("; ")})`;
}

/** Loads and checks the composition exported as `exportName` from `file` (absolute). */
export async function loadComposition(cache: DocumentCache, file: string, exportName: string, ctx: CompositionContext): Promise<Composition> {
  const docs = await cache.read(file);
  const shown = ctx.display(file);
  if (!docs) throw new OrunError(`composition source ${ctx.sourceName} export ${exportName}: file not found: ${shown}`);
  const compositions = docs.filter((d) => kindOf(d) === "Composition");
  const yd = compositions.find((d) => nameOf(d) === exportName) ?? compositions[0];
  const prefix = `composition source ${ctx.sourceName} export ${exportName}`;
  if (!yd) {
    throw new OrunError(`${prefix} must have kind Composition`, { location: { file: shown, line: 1 } });
  }
  validated(yd);
  const v = obj(yd.value);
  const meta = obj(v.metadata);
  const spec = obj(v.spec);
  const dir = path.dirname(file);
  const s = (...p: PathSegment[]): PathSegment[] => ["spec", ...p];

  if (meta.name !== exportName) throw errorAt(yd, ["metadata", "name"], `${prefix} metadata.name must match the export name (got "${String(meta.name)}")`);
  if (typeof spec.type !== "string" || !spec.type) throw errorAt(yd, s("type"), `${prefix} must set spec.type`);
  if (spec.type !== meta.name) throw errorAt(yd, s("type"), `${prefix} must keep spec.type equal to metadata.name`);
  const hasInlineSchema = Object.keys(obj(spec.parameterSchema)).length > 0;
  if (!hasInlineSchema && spec.schemaRef === undefined) throw errorAt(yd, ["spec"], `${prefix} must define spec.parameterSchema or spec.schemaRef`);
  const jobEntries = list(spec.jobs);
  if (jobEntries.length === 0) throw errorAt(yd, s("jobs"), `${prefix} must define at least one job`);
  const defaultJob = optString(spec.defaultJob) ?? "";
  if (!defaultJob.trim()) throw errorAt(yd, ["spec"], `${prefix} must define spec.defaultJob`);

  // Parameter schema: inline wins over schemaRef.
  let schema: ComponentSchema;
  if (hasInlineSchema) {
    schema = withOrigin({ schema: freeMap(spec.parameterSchema) } as ComponentSchema, originAt(yd, s("parameterSchema")));
  } else {
    const ref = String(obj(spec.schemaRef).name);
    const candidates = [path.join(dir, "schema.yaml"), path.join(dir, `${ref}.yaml`)];
    const found = await findDocument(cache, "ComponentSchema", ref, docs, candidates);
    if (!found) throw errorAt(yd, s("schemaRef", "name"), await notFound(cache, "ComponentSchema", ref, docs, dir, candidates, ctx.display));
    const fs = obj(obj(found.value).spec);
    const cs: Obj = { name: ref, schema: freeMap(fs.schema) };
    if (typeof fs.type === "string") cs.type = fs.type;
    schema = withOrigin(cs as unknown as ComponentSchema, originAt(found, ["spec", "schema"]));
  }
  compileComponentSchema(schema);

  // Jobs.
  const jobs: JobTemplate[] = [];
  const jobNames = new Set<string>();
  for (let i = 0; i < jobEntries.length; i++) {
    const entry = obj(jobEntries[i]);
    const name = String(entry.name);
    if (jobNames.has(name)) throw errorAt(yd, s("jobs", i, "name"), `composition ${exportName} has duplicate job name "${name}"`);
    jobNames.add(name);
    jobs.push(await loadJob(cache, yd, docs, dir, exportName, s("jobs", i), entry, ctx));
  }
  for (const job of jobs) checkStepIds(job, exportName);
  if (!jobNames.has(defaultJob)) {
    throw errorAt(yd, s("defaultJob"), `${prefix} defaultJob ${defaultJob} is not present in spec.jobs${didYouMean(defaultJob, jobNames)}`);
  }

  // Profiles: inline executionProfiles win over the split-kind profiles list.
  const profiles: Record<string, ExecutionProfile> = {};
  let ignoredProfilesAt: SourceLocation | undefined;
  if (spec.executionProfiles !== undefined) {
    const ep = obj(spec.executionProfiles);
    for (const name of Object.keys(ep).sort()) profiles[name] = profile(yd, s("executionProfiles", name), name, ep[name]);
    // As in v2.3 the list is not read; the compiler warns that it is ignored (spec 11 §3.3).
    if (list(spec.profiles).length > 0) ignoredProfilesAt = originAt(yd).at(s("profiles"));
  } else {
    const entries = list(spec.profiles);
    for (let i = 0; i < entries.length; i++) {
      const e = obj(entries[i]);
      const name = String(e.name);
      if (name in profiles) throw errorAt(yd, s("profiles", i, "name"), `composition ${exportName} has duplicate profile "${name}"`);
      if (e.profileRef === undefined) throw errorAt(yd, s("profiles", i), `profile "${name}" needs a profileRef (or use spec.executionProfiles)`);
      const ref = String(obj(e.profileRef).name);
      const candidates = [path.join(dir, "profiles", `${ref}.yaml`), path.join(dir, `${ref}.yaml`)];
      const found = await findDocument(cache, "ExecutionProfile", ref, docs, candidates);
      if (!found) throw errorAt(yd, s("profiles", i, "profileRef", "name"), await notFound(cache, "ExecutionProfile", ref, docs, dir, candidates, ctx.display));
      const p = profile(found, ["spec"], name, obj(found.value).spec);
      (p as { profileRef?: string }).profileRef = ref;
      profiles[name] = p;
    }
  }
  const defaultProfile = optString(spec.defaultProfile);
  checkProfiles(yd, exportName, jobs, profiles, defaultProfile);

  const composition: Obj = {
    key: `${ctx.sourceName}:${exportName}`,
    name: exportName,
    type: spec.type,
  };
  if (typeof spec.description === "string") composition.description = spec.description;
  composition.defaultJob = defaultJob;
  if (defaultProfile) composition.defaultProfile = defaultProfile;
  Object.assign(composition, {
    schema,
    jobs,
    profiles,
    sourceName: ctx.sourceName,
    sourceKind: ctx.sourceKind,
    jobRegistryName: ctx.packageName,
    dir,
    ...(ignoredProfilesAt ? { ignoredProfilesAt } : {}),
  });
  return withOrigin(composition as unknown as Composition, originAt(yd, []));
}

const JOB_STRING_FIELDS = ["description", "runsOn", "timeout"] as const;

/** One job entry (written at `at` in `yd`), merged over its JobTemplate when it has a `templateRef`. */
export async function loadJob(
  cache: DocumentCache,
  yd: YamlDoc,
  docs: readonly YamlDoc[],
  dir: string,
  exportName: string,
  at: PathSegment[],
  entry: Obj,
  ctx: CompositionContext,
): Promise<JobTemplate> {
  let base: Obj = {};
  let baseDoc: YamlDoc | undefined;
  let templateRef: string | undefined;
  if (entry.templateRef !== undefined) {
    templateRef = String(obj(entry.templateRef).name);
    const candidates = [path.join(dir, "jobs", `${templateRef}.yaml`), path.join(dir, `${templateRef}.yaml`)];
    baseDoc = await findDocument(cache, "JobTemplate", templateRef, docs, candidates);
    if (!baseDoc) {
      const missing = await notFound(cache, "JobTemplate", templateRef, docs, dir, candidates, ctx.display);
      throw errorAt(yd, [...at, "templateRef", "name"], `failed to resolve jobs for composition ${exportName} from source ${ctx.sourceName}: ${missing}`);
    }
    base = obj(obj(baseDoc.value).spec);
  }
  // Fields written on the composition's job entry win over the template's.
  const pick = (field: string): { doc: YamlDoc; path: PathSegment[]; value: unknown } | undefined => {
    if (entry[field] !== undefined) return { doc: yd, path: [...at, field], value: entry[field] };
    if (baseDoc && base[field] !== undefined) return { doc: baseDoc, path: ["spec", field], value: base[field] };
    return undefined;
  };
  const job: Obj = { name: String(entry.name) };
  for (const f of JOB_STRING_FIELDS) {
    const v = pick(f);
    if (typeof v?.value === "string") job[f] = v.value;
  }
  // A job entry's runsOn wins over its template's, so the job's origin (the template's spec) may not be where it is.
  const runsOn = pick("runsOn");
  if (typeof runsOn?.value === "string") Object.defineProperty(job, "runsOnAt", { value: originAt(runsOn.doc, runsOn.path).at(), enumerable: false });
  const retries = pick("retries");
  if (typeof retries?.value === "number") job.retries = retries.value;
  const labels = pick("labels");
  job.labels = labels ? stringMap(labels.doc, labels.path, labels.value) : {};
  job.capabilities = strings(pick("capabilities")?.value);
  job.inputs = freeMap(pick("inputs")?.value);
  const st = pick("steps");
  job.steps = st ? steps(st.doc, st.path, st.value) : [];
  if (templateRef !== undefined) job.templateRef = templateRef;
  return withOrigin(job as unknown as JobTemplate, baseDoc ? originAt(baseDoc, ["spec"]) : originAt(yd, at));
}

/** The identity of a step inside its job: `id`, else `name`. */
export function stepKey(step: Pick<StepSpec, "id" | "name">): string {
  return step.id ?? step.name ?? "";
}

/** Step ids (else names) must be unique inside a job. */
export function checkStepIds(job: JobTemplate, exportName: string): void {
  const seen = new Set<string>();
  for (const step of job.steps) {
    const key = stepKey(step);
    if (!key) continue;
    if (seen.has(key)) {
      const loc = step.origin.at(step.id !== undefined ? "id" : "name");
      throw new OrunError(`${loc.field}: composition ${exportName} job "${job.name}" has duplicate step id "${key}"`, {
        location: { file: loc.file, line: loc.line },
      });
    }
    seen.add(key);
  }
}

function profile(yd: YamlDoc, at: PathSegment[], name: string, value: unknown): ExecutionProfile {
  const v = obj(value);
  const jobs: Record<string, ProfileJobSettings> = {};
  for (const [jobName, raw] of Object.entries(obj(v.jobs))) {
    const j = obj(raw);
    const overrides: Record<string, StepOverride> = {};
    for (const [stepId, ov] of Object.entries(obj(j.stepOverrides))) {
      const o = obj(ov);
      const out: StepOverride = {};
      if (typeof o.run === "string") out.run = o.run;
      if (o.with !== undefined) out.with = freeMap(o.with);
      if (o.env !== undefined) out.env = stringMap(yd, [...at, "jobs", jobName, "stepOverrides", stepId, "env"], o.env);
      overrides[stepId] = out;
    }
    jobs[jobName] = { stepsEnabled: strings(j.stepsEnabled), includeCapabilities: strings(j.includeCapabilities), stepOverrides: overrides };
  }
  const p: Obj = { name };
  if (typeof v.description === "string") p.description = v.description;
  p.policies = freeMap(v.policies);
  p.jobs = jobs;
  return withOrigin(p as unknown as ExecutionProfile, originAt(yd, at));
}

/** Profiles must name real jobs and steps, and a default must exist when profiles do. */
function checkProfiles(
  yd: YamlDoc,
  exportName: string,
  jobs: JobTemplate[],
  profiles: Record<string, ExecutionProfile>,
  defaultProfile: string | undefined,
): void {
  const names = Object.keys(profiles);
  if (names.length === 0) {
    if (defaultProfile) throw errorAt(yd, ["spec", "defaultProfile"], `composition ${exportName} defaultProfile "${defaultProfile}" names a profile, but it defines none`);
    return;
  }
  if (!defaultProfile) throw errorAt(yd, ["spec"], `composition ${exportName} defines execution profiles but spec.defaultProfile is empty`);
  if (!(defaultProfile in profiles)) {
    throw errorAt(yd, ["spec", "defaultProfile"], `composition ${exportName} defaultProfile "${defaultProfile}" does not exist in its profiles${didYouMean(defaultProfile, names)}`);
  }
  const byName = new Map(jobs.map((j) => [j.name, j]));
  for (const name of names.sort()) {
    const p = profiles[name]!;
    const fail = (field: (string | number)[], msg: string): OrunError => {
      const loc = p.origin.at(field);
      return new OrunError(`${loc.field}: composition ${exportName} profile "${name}" ${msg}`, { location: { file: loc.file, line: loc.line } });
    };
    const jobNames = Object.keys(p.jobs);
    if (jobNames.length === 0) throw fail(["jobs"], "must select at least one job");
    for (const jobName of jobNames) {
      const job = byName.get(jobName);
      if (!job) throw fail(["jobs", jobName], `references unknown job "${jobName}"${didYouMean(jobName, byName.keys())}`);
      const settings = p.jobs[jobName]!;
      if (settings.stepsEnabled.length === 0 && settings.includeCapabilities.length === 0) {
        throw fail(["jobs", jobName], `job "${jobName}" must specify stepsEnabled or includeCapabilities`);
      }
      const stepKeys = new Set<string>();
      for (const st of job.steps) {
        if (st.id) stepKeys.add(st.id);
        if (st.name) stepKeys.add(st.name);
      }
      const enabled = new Set<string>();
      settings.stepsEnabled.forEach((sid, i) => {
        if (!stepKeys.has(sid)) throw fail(["jobs", jobName, "stepsEnabled", i], `job "${jobName}" enables unknown step "${sid}"${didYouMean(sid, stepKeys)}`);
        if (enabled.has(sid)) throw fail(["jobs", jobName, "stepsEnabled", i], `job "${jobName}" has duplicate stepsEnabled "${sid}"`);
        enabled.add(sid);
      });
      // A capability no step has keeps nothing: a typo would silently drop the step it meant.
      const stepCapabilities = new Set(job.steps.flatMap((st) => (st.capability ? [st.capability] : [])));
      const declared = new Set(job.capabilities);
      settings.includeCapabilities.forEach((cap, i) => {
        if (!stepCapabilities.has(cap)) {
          throw fail(["jobs", jobName, "includeCapabilities", i], `job "${jobName}": no step has capability "${cap}"${didYouMean(cap, stepCapabilities)}`);
        }
        if (declared.size > 0 && !declared.has(cap)) {
          throw fail(["jobs", jobName, "includeCapabilities", i], `job "${jobName}" does not declare capability "${cap}" in its capabilities list${didYouMean(cap, declared)}`);
        }
      });
      for (const sid of Object.keys(settings.stepOverrides)) {
        if (!stepKeys.has(sid)) {
          const near = closestMatch(sid, stepKeys);
          throw fail(["jobs", jobName, "stepOverrides", sid], `job "${jobName}" overrides unknown step "${sid}"${near ? ` (did you mean \`${near}\`?)` : ""}`);
        }
      }
    }
  }
}
