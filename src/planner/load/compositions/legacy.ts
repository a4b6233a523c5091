// The legacy composition registry of `-c/--config-dir` (or ORUN_CONFIG_DIR):
// a directory (or a glob such as `assets/*/compositions`) whose subdirectories
// `<type>/` each hold a JobRegistry (`compositions.yaml`, else `job.yaml`) and
// the type's parameter schema (`schema.yaml`, a plain JSON Schema). It becomes
// one more source, `legacy-config-dir` (kind `legacy-dir`), that the registry
// falls back to for types no declared source exports.

import { Ajv, type ValidateFunction } from "ajv";
import { promises as fs } from "node:fs";
import path from "node:path";
import { minimatch } from "minimatch";
import type { Composition, ComponentSchema, JobTemplate, ResolvedCompositionSource } from "../../../model/composition.js";
import { withOrigin } from "../../../model/intent.js";
import type { CompositionSourceRecord } from "../../../model/plan.js";
import { OrunError } from "../../../util/errors.js";
import { addFormats, allowsString, describeErrors, problemsError } from "../../validate/documents.js";
import { compileComponentSchema } from "../../validate/parameters.js";
import { compositionDocSchema } from "../../validate/schemas.js";
import { freeMap, list, obj, optString } from "../decode.js";
import { errorAt, exactIntegers, lineAt, originAt, readSingleDocument, type YamlDoc } from "../yaml.js";
import { hashDirectories } from "./digest.js";
import { DocumentCache, checkStepIds, loadJob, type CompositionContext } from "./documents.js";
import { quoted } from "../../../util/printable.js";

export const LEGACY_SOURCE_NAME = "legacy-config-dir";
export const LEGACY_SOURCE_KIND = "legacy-dir";

/** Job file names of a type directory, preferred first. */
const JOB_FILES = ["compositions.yaml", "job.yaml"];

export interface LegacyContext {
  /** Where a relative --config-dir is resolved from (the working directory). */
  cwd: string;
  /** Names files in messages. */
  display: (abs: string) => string;
}

// ---- JobRegistry document schema: the JobSpec fields of a Composition's jobs (no templateRef) ----

let validator: ValidateFunction | undefined;
let registrySchema: Record<string, unknown> | undefined;

function jobRegistryValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = addFormats(new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false }));
  validator = ajv.compile(jobRegistrySchema());
  return validator;
}

function jobRegistrySchema(): Record<string, unknown> {
  if (registrySchema) return registrySchema;
  const compositionSpec = (compositionDocSchema.properties as Record<string, { properties: Record<string, { items: Record<string, unknown> }> }>).spec!;
  const jobItem = structuredClone(compositionSpec.properties.jobs!.items) as { properties: Record<string, unknown> };
  delete jobItem.properties.templateRef;
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "orun legacy JobRegistry (--config-dir <type>/compositions.yaml or job.yaml)",
    type: "object",
    additionalProperties: false,
    required: ["kind", "jobs"],
    properties: {
      apiVersion: { type: "string" },
      kind: { const: "JobRegistry" },
      metadata: {
        type: "object",
        additionalProperties: false,
        properties: { name: { type: "string" }, description: { type: "string" }, labels: { $ref: "#/definitions/stringMap" } },
      },
      jobs: { type: "array", items: jobItem },
    },
    definitions: compositionDocSchema.definitions,
  };
  return (registrySchema = schema);
}

function validateJobRegistry(yd: YamlDoc): void {
  const fn = jobRegistryValidator();
  if (fn(yd.value)) return;
  throw problemsError(describeErrors(fn.errors ?? [], yd.value, (p) => ({ file: yd.file, line: lineAt(yd, p) })));
}

// ---- locating the roots ----

export interface LegacyRoot {
  /** Absolute directory. */
  abs: string;
  /** The root as given (glob matches as matched), cleaned: the digest stream names it so. */
  shown: string;
}

function cleaned(p: string): string {
  return path.normalize(p).replace(/\\/g, "/").replace(/(.)\/$/, "$1");
}

async function isDirectory(abs: string): Promise<boolean> {
  try {
    return (await fs.stat(abs)).isDirectory();
  } catch {
    return false;
  }
}

/** Expands a `*` glob segment by segment (Go filepath.Glob semantics: `*` does not cross `/`); matches are sorted. */
async function expandGlob(pattern: string, cwd: string): Promise<LegacyRoot[]> {
  const absolute = path.isAbsolute(pattern);
  const segments = cleaned(pattern).split("/").filter((s) => s !== "");
  let found: LegacyRoot[] = [{ abs: absolute ? path.parse(path.resolve(pattern)).root : cwd, shown: absolute ? "/" : "" }];
  const join = (shown: string, seg: string): string => (shown === "" ? seg : shown.endsWith("/") ? shown + seg : `${shown}/${seg}`);
  for (const seg of segments) {
    const next: LegacyRoot[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const f of found) next.push({ abs: path.join(f.abs, seg), shown: join(f.shown, seg) });
    } else {
      for (const f of found) {
        let names: string[];
        try {
          names = (await fs.readdir(f.abs)).sort();
        } catch {
          continue;
        }
        for (const name of names) {
          if (minimatch(name, seg, { dot: true, nobrace: true, noext: true, nonegate: true, nocomment: true })) next.push({ abs: path.join(f.abs, name), shown: join(f.shown, name) });
        }
      }
    }
    found = next;
  }
  const dirs: LegacyRoot[] = [];
  for (const f of found) if (await isDirectory(f.abs)) dirs.push(f);
  return dirs;
}

/** The directories a --config-dir value names; errors when there are none. */
export async function legacyRoots(configDir: string, cwd: string): Promise<LegacyRoot[]> {
  if (configDir.includes("*")) {
    const roots = await expandGlob(configDir, cwd);
    if (roots.length === 0) throw new OrunError(`legacy --config-dir ${configDir} matches no directory`);
    return roots;
  }
  const abs = path.resolve(cwd, configDir);
  let stat;
  try {
    stat = await fs.stat(abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new OrunError(`legacy --config-dir ${configDir}: ${code === "ENOENT" ? "no such directory" : `cannot be read (${code})`}`, { cause });
  }
  if (!stat.isDirectory()) throw new OrunError(`legacy --config-dir ${configDir} is not a directory`);
  return [{ abs, shown: cleaned(configDir) }];
}

// ---- one type directory ----

async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const abs = path.join(dir, name);
    try {
      if ((await fs.stat(abs)).isFile()) return abs;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

async function readSchema(file: string, display: (abs: string) => string): Promise<ComponentSchema> {
  const yd = await readSingleDocument(file, display(file));
  exactIntegers(yd);
  const value = yd.value;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new OrunError("schema.yaml must be a JSON Schema mapping", { location: { file: yd.file, line: lineAt(yd, []) } });
  }
  const schema = withOrigin({ schema: freeMap(value) } as ComponentSchema, originAt(yd, []));
  compileComponentSchema(schema);
  return schema;
}

/** Loads the composition of type directory `<root>/<type>/`; undefined when it has no job file. */
async function loadType(dir: string, type: string, ctx: LegacyContext): Promise<Composition | undefined> {
  const jobFile = await firstFile(dir, JOB_FILES);
  if (!jobFile) return undefined;
  const shown = ctx.display(jobFile);
  const schemaFile = await firstFile(dir, ["schema.yaml"]);
  if (!schemaFile) throw new OrunError(`missing schema.yaml for job registry type ${type} (job at ${shown})`, { location: { file: shown } });

  const yd = await readSingleDocument(jobFile, shown);
  // Step env and labels keep a big integer's source text, as in a Composition (and orun v2.3).
  exactIntegers(yd, (at) => allowsString(jobRegistrySchema(), at));
  const kind = obj(yd.value).kind;
  if (kind !== "JobRegistry") {
    throw errorAt(
      yd,
      ["kind"],
      `a legacy --config-dir job file must have kind JobRegistry (got ${kind === undefined ? "none" : quoted(kind)})`,
      kind === "Composition" ? "composition packages are declared in the intent's compositions.sources" : undefined,
    );
  }
  validateJobRegistry(yd);
  const v = obj(yd.value);
  const meta = obj(v.metadata);
  const entries = list(v.jobs);
  if (entries.length === 0) throw errorAt(yd, ["jobs"], `no jobs defined in job registry for type ${type}`);
  const registryName = optString(meta.name) ?? "";
  const docCtx: CompositionContext = { sourceName: LEGACY_SOURCE_NAME, sourceKind: LEGACY_SOURCE_KIND, packageName: registryName, display: ctx.display };
  const cache = new DocumentCache(ctx.display);
  const jobs: JobTemplate[] = [];
  const names = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const entry = obj(entries[i]);
    const name = String(entry.name);
    if (names.has(name)) throw errorAt(yd, ["jobs", i, "name"], `job registry ${registryName || type} has duplicate job name "${name}"`);
    names.add(name);
    jobs.push(await loadJob(cache, yd, [yd], dir, type, ["jobs", i], entry, docCtx));
  }
  for (const job of jobs) checkStepIds(job, type);

  const composition: Record<string, unknown> = { key: `${LEGACY_SOURCE_NAME}:${type}`, name: type, type };
  if (typeof meta.description === "string") composition.description = meta.description;
  Object.assign(composition, {
    // No profiles: the first job is the one planned (profileSource legacy-none).
    defaultJob: jobs[0]!.name,
    schema: await readSchema(schemaFile, ctx.display),
    jobs,
    profiles: {},
    sourceName: LEGACY_SOURCE_NAME,
    sourceKind: LEGACY_SOURCE_KIND,
    jobRegistryName: registryName,
    dir,
  });
  return withOrigin(composition as unknown as Composition, originAt(yd, []));
}

/** Loads every type of a --config-dir into the `legacy-config-dir` source. */
export async function resolveLegacyRegistry(configDir: string, ctx: LegacyContext): Promise<ResolvedCompositionSource> {
  const roots = await legacyRoots(configDir, ctx.cwd);
  const exports: Record<string, Composition> = {};
  for (const root of roots) {
    const entries = (await fs.readdir(root.abs, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const type of entries.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      const composition = await loadType(path.join(root.abs, type), type, ctx);
      if (!composition) continue;
      const prior = exports[type];
      if (prior) {
        throw new OrunError(`legacy composition type ${type} is defined twice: in ${ctx.display(prior.dir)} and ${ctx.display(composition.dir)}`, {
          location: { file: composition.origin.file },
        });
      }
      exports[type] = composition;
    }
  }
  const types = Object.keys(exports).sort();
  if (types.length === 0) throw new OrunError(`no compositions.yaml files found in config path: ${configDir}`);
  let digest: string;
  try {
    digest = await hashDirectories(roots);
  } catch (err) {
    throw new OrunError(`failed to hash legacy --config-dir ${configDir}: ${(err as Error).message}`);
  }
  const record: CompositionSourceRecord = { name: LEGACY_SOURCE_NAME, kind: LEGACY_SOURCE_KIND, path: configDir, resolvedDigest: digest, exports: types };
  return { record, rootDir: roots[0]!.abs, packageName: LEGACY_SOURCE_NAME, intentPresets: [], exports };
}

/** The --config-dir to use: the flag (an empty one means none), else a non-empty ORUN_CONFIG_DIR. */
export function configDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined) return flag.trim() === "" ? undefined : flag;
  const fromEnv = env.ORUN_CONFIG_DIR;
  return fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv : undefined;
}
