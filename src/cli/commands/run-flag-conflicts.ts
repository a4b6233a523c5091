// The flag combinations `orun run` refuses before it starts, in one place: a run, a --background parent and a
// --dry-run all call these, so a preview never passes (exit 0) what the run itself refuses (exit 1).
import { OrunError } from "../../util/errors.js";
import { warnOnStderr } from "../../util/warning.js";
import type { StateConfig } from "../../remote/settings.js";

interface ConflictFlags {
  gha?: boolean;
  runner?: string;
  retry?: boolean;
  job?: string;
  background?: boolean;
  dryRun?: boolean;
}

/** Combinations that need no plan: checked before one is compiled. */
export function refuseConflictingFlags(opts: ConflictFlags): void {
  // Not refused: the seed's runner order puts --gha before --runner (runner-resolution.ts), so --gha chooses; said,
  // as two flags of one command contradicting each other is more likely a slip than a choice.
  if (opts.gha && opts.runner && opts.runner.trim().toLowerCase() !== "github-actions") {
    warnOnStderr(`--gha comes before --runner ${opts.runner.trim()}: the github-actions runner runs this plan`);
  }
  if (opts.retry && !opts.job) throw new OrunError("--retry requires --job");
  if (opts.background && opts.dryRun) throw new OrunError("--background cannot be combined with --dry-run");
}

interface RemoteConflictFlags {
  remoteState?: boolean;
  backendUrl?: string;
  failFast?: boolean;
}

/**
 * Combinations remote state refuses (on by --remote-state, ORUN_REMOTE_STATE, or the plan's or intent's
 * execution.state): checked before anything says "remote state: run …", which would read as if the run had started,
 * and by a dry-run, which never contacts the backend but must refuse alike. `planState`: the plan's execution.state,
 * else read from the intent at `intentRoot`.
 */
export async function refuseRemoteFlagConflicts(
  opts: RemoteConflictFlags,
  env: NodeJS.ProcessEnv,
  where: { planState?: StateConfig; intentRoot?: string; execId?: string },
): Promise<void> {
  // Loaded only when remote state may be on: a plain run does not read the intent's state settings here.
  if (!opts.remoteState && env.ORUN_REMOTE_STATE === undefined && where.planState === undefined && !where.intentRoot) return;
  const { readIntentStateConfig, remoteEnabled, resolveBackendUrl } = await import("../../remote/settings.js");
  const config = where.planState ?? (await readIntentStateConfig(where.intentRoot));
  if (!remoteEnabled(opts, env, config)) return;
  resolveBackendUrl(opts, env, config);
  // Every runner of a remote run must stop (or not) alike: the backend takes failFast from the plan that made the run.
  if (opts.failFast !== undefined) {
    const runId = (await import("../../remote/run-id.js")).deriveRunId(where.execId, env);
    throw new OrunError(`--${opts.failFast ? "" : "no-"}fail-fast does not apply under remote state: remote run ${runId} takes failFast from its plan`, {
      hint: "set execution.failFast in the plan the runners share, or run without --remote-state",
    });
  }
}
