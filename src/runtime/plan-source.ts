// Which plan `orun run` executes: a stored plan (`latest`, name, checksum
// prefix), a plan file, a component name (compiled fresh, scoped to it and
// its dependencies), or — with no reference — a fresh plan of the whole
// intent, saved as `.orun/plans/latest.json`. A plan file is type-checked
// and its recorded checksum verified as it loads, before anything is
// recorded. The planner is imported lazily so running a plan file never
// loads it.
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Plan } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { plannerWarnOnStderr } from "../util/warning.js";

/** What `orun plan` prints as a plan ID (a checksum prefix), or a full `sha256-…` checksum. */
const PLAN_ID = /^(sha256-)?[0-9a-f]{6,64}$/;

/** A reference that reads as a file: it has a slash, or ends as a plan file does. */
const PATH_LIKE = /[/\\]|\.(json|ya?ml)$/i;

/** Stored plans listed when a reference names nothing. */
const PLANS_SHOWN = 5;

export interface PlanSourceOptions {
  cwd: string;
  /** Positional ref, else --plan, else ORUN_PLAN_ID. */
  ref?: string;
  intentPath?: string;
  /** -c/--config-dir: legacy composition registry for a fresh compile (else ORUN_CONFIG_DIR). */
  configDir?: string;
  envs?: string[];
  /** Preview only: a freshly compiled plan is not saved. */
  dryRun?: boolean;
  /** --exec-id / ORUN_EXEC_ID: without a plan or an intent, the execution's recorded plan is resumed. */
  execId?: string;
  /**
   * The IDs of the fresh plan's jobs this run runs (--component, --job), undefined for all: a warning found
   * only in the steps of other jobs is not printed, and a shared one names only these.
   */
  jobsInScope?: (plan: Plan) => ReadonlySet<string> | undefined | Promise<ReadonlySet<string> | undefined>;
}

export interface ResolvedPlan {
  plan: Plan;
  /** Directory that holds `.orun/` (intent root, else cwd). */
  storeDir: string;
  /** Directory of intent.yaml when one was found. */
  intentRoot?: string;
  /** For messages: `plan file x`, `stored plan latest`, `fresh plan`. */
  source: string;
  /** The file the plan was read from (a stored plan's too); none for a plan compiled here. */
  file?: string;
}

export async function locateIntentRoot(cwd: string, intentPath?: string): Promise<string | undefined> {
  const { locateIntent } = await import("../planner/load/locate.js");
  try {
    return path.dirname(await locateIntent({ cwd, intentPath }));
  } catch (err) {
    if (intentPath) throw err;
    return undefined;
  }
}

export async function resolveRunPlan(options: PlanSourceOptions): Promise<ResolvedPlan> {
  const intentRoot = await locateIntentRoot(options.cwd, options.intentPath);
  const storeDir = intentRoot ?? path.resolve(options.cwd);
  const ref = options.ref?.trim();
  if (ref) {
    // A path (a slash, or a plan file's extension) names a file: never a stored plan or a component.
    if (PATH_LIKE.test(ref) && !existsSync(path.resolve(options.cwd, ref))) {
      throw new OrunError(`plan file ${ref} not found`, { hint: `looked for ${path.resolve(options.cwd, ref)}` });
    }
    const store = await import("../plan/store.js");
    let file: string | undefined;
    try {
      file = await store.resolvePlanRef(storeDir, ref);
    } catch (err) {
      if (!(err instanceof OrunError) || !/^plan not found|^no plan found/.test(err.message)) throw err;
      if (!intentRoot) {
        // `latest` with no plan stored: "no plan found; run 'orun plan' first" says it all.
        if (ref === "latest") throw err;
        if (PLAN_ID.test(ref)) throw planFromElsewhere(ref, storeDir);
        throw await neitherPlanNorComponent(ref, storeDir, `no intent.yaml found from ${options.cwd}, so it cannot name a component`);
      }
    }
    if (file) return { plan: await store.loadPlanFile(file, { verifyChecksum: true }), storeDir, intentRoot, source: `plan ${path.relative(options.cwd, file) || file}`, file };
    // Not a stored plan or a file: a component name.
    try {
      return { ...(await compileFresh(options, storeDir, [ref])), intentRoot, source: `fresh plan for component ${ref}` };
    } catch (err) {
      const unknown = err instanceof OrunError ? unknownComponent(err, ref) : undefined;
      if (unknown === undefined) throw err;
      if (PLAN_ID.test(ref)) throw planFromElsewhere(ref, storeDir);
      throw await neitherPlanNorComponent(ref, storeDir, unknown);
    }
  }
  if (!intentRoot && options.execId) {
    // `orun run --exec-id X` (the resume hint) after a plan-file run: the plan the execution recorded.
    const manifest = path.join(storeDir, ".orun", "executions", options.execId, "manifest.json");
    if (existsSync(manifest)) {
      const store = await import("../plan/store.js");
      return { plan: await store.loadPlanFile(manifest, { verifyChecksum: true }), storeDir, source: `plan of execution ${options.execId}` };
    }
  }
  if (!intentRoot) {
    throw new OrunError(`no intent.yaml found from ${options.cwd} and no plan given`, {
      hint: "run from an orun repository, pass -i/--intent, or name a plan: orun run <plan.json|plan-id|latest>",
    });
  }
  return { ...(await compileFresh(options, storeDir, undefined)), intentRoot, source: "fresh plan" };
}

/** A plan ID compiled on another machine (a matrix leg without the plan job's .orun/plans): no component. */
function planFromElsewhere(ref: string, storeDir: string): OrunError {
  return new OrunError(`no stored plan matches "${ref}" (in ${path.join(storeDir, ".orun", "plans")}) and no component has that name`, {
    hint: "a plan ID from another machine needs that plan here: copy its .orun/plans (e.g. actions/upload-artifact in the plan job, download-artifact in each leg), or run `orun plan` here first",
  });
}

/**
 * The planner's `no component matched "<ref>"` (with its did-you-mean and the components there are), without
 * its first line; undefined for any other error. The planner names the error's field `--component`, a flag
 * `orun run <ref>` never typed.
 */
function unknownComponent(err: OrunError, ref: string): string | undefined {
  const first = `--component: no component matched "${ref}"`;
  if (err.location?.field !== "--component" || err.hint !== undefined || !err.message.startsWith(first)) return undefined;
  return err.message.slice(first.length).trim();
}

/** `<ref> is neither a stored plan nor a component`, listing a few stored plans (newest first) after `detail`. */
async function neitherPlanNorComponent(ref: string, storeDir: string, detail: string): Promise<OrunError> {
  const { plansDir, shortPlanIdNote } = await import("../plan/store.js");
  const dir = plansDir(storeDir);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".json"));
  const dated = await Promise.all(names.map(async (name) => ({ name: name.slice(0, -5), mtime: (await stat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  // latest first, then the newest.
  dated.sort((a, b) => Number(b.name === "latest") - Number(a.name === "latest") || b.mtime - a.mtime || a.name.localeCompare(b.name));
  const shown = dated.slice(0, PLANS_SHOWN).map((plan) => `  ${plan.name}\n`).join("");
  const more = dated.length > PLANS_SHOWN ? `  … and ${dated.length - PLANS_SHOWN} more (orun get plans)\n` : "";
  const plans = dated.length ? `stored plans:\n${shown}${more}` : `stored plans: none (orun plan stores one)\n`;
  const short = shortPlanIdNote(ref);
  return new OrunError(`${ref} is neither a stored plan nor a component\n\n${detail ? `${detail}\n\n` : ""}${plans}${short ? `\n${short}` : ""}`.trimEnd());
}

async function compileFresh(options: PlanSourceOptions, storeDir: string, components: string[] | undefined): Promise<{ plan: Plan; storeDir: string }> {
  const { compilePlan } = await import("../planner/compile.js");
  const { storeCompiledPlan } = await import("../plan/store.js");
  const { warningsForJobs } = await import("../planner/compile.js");
  const result = await compilePlan({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir, envs: options.envs, components });
  for (const text of warningsForJobs(result, await options.jobsInScope?.(result.plan))) plannerWarnOnStderr(text);
  if (!options.dryRun) await storeCompiledPlan(storeDir, result.plan);
  return { plan: result.plan, storeDir };
}
