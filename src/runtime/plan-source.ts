// Which plan `orun run` executes: a stored plan (`latest`, name, checksum
// prefix), a plan file, a component name (compiled fresh, scoped to it and
// its dependencies), or — with no reference — a fresh plan of the whole
// intent, saved as `.orun/plans/latest.json`. A plan file is type-checked
// and its recorded checksum verified as it loads, before anything is
// recorded. The planner is imported lazily so running a plan file never
// loads it.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../model/plan.js";
import { OrunError } from "../util/errors.js";

/** What `orun plan` prints as a plan ID (a checksum prefix), or a full `sha256-…` checksum. */
const PLAN_ID = /^(sha256-)?[0-9a-f]{6,64}$/;

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
}

export interface ResolvedPlan {
  plan: Plan;
  /** Directory that holds `.orun/` (intent root, else cwd). */
  storeDir: string;
  /** Directory of intent.yaml when one was found. */
  intentRoot?: string;
  /** For messages: `plan file x`, `stored plan latest`, `fresh plan`. */
  source: string;
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
    const store = await import("../plan/store.js");
    let file: string | undefined;
    try {
      file = await store.resolvePlanRef(storeDir, ref);
    } catch (err) {
      if (!intentRoot || !(err instanceof OrunError) || !/^plan not found|^no plan found/.test(err.message)) throw err;
    }
    if (file) return { plan: await store.loadPlanFile(file, { verifyChecksum: true }), storeDir, intentRoot, source: `plan ${path.relative(options.cwd, file) || file}` };
    // Not a stored plan or a file: a component name.
    try {
      return { ...(await compileFresh(options, storeDir, [ref])), intentRoot, source: `fresh plan for component ${ref}` };
    } catch (err) {
      // A plan ID compiled on another machine (a matrix leg without the plan job's .orun/plans) is no component.
      if (!PLAN_ID.test(ref) || !(err instanceof OrunError) || !/no component matched/.test(err.message)) throw err;
      throw new OrunError(`no stored plan matches "${ref}" (in ${path.join(storeDir, ".orun", "plans")}) and no component has that name`, {
        hint: "a plan ID from another machine needs that plan here: copy its .orun/plans (e.g. actions/upload-artifact in the plan job, download-artifact in each leg), or run `orun plan` here first",
      });
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

async function compileFresh(options: PlanSourceOptions, storeDir: string, components: string[] | undefined): Promise<{ plan: Plan; storeDir: string }> {
  const { compilePlan } = await import("../planner/compile.js");
  const { savePlan } = await import("../plan/store.js");
  const result = await compilePlan({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir, envs: options.envs, components });
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (!options.dryRun) await savePlan(storeDir, result.plan);
  return { plan: result.plan, storeDir };
}
