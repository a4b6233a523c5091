// The CLI's remote mode, kept out of the command modules: `orun run`,
// `status` and `logs` call these when remote state is on (flags, env, or
// intent `execution.state`), otherwise they return undefined.
import { randomBytes } from "node:crypto";
import type { Plan } from "../model/plan.js";
import { canonicalJobId } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { BackendClient } from "./client.js";
import { RemoteHooks } from "./hooks.js";
import { resolveTokenSource } from "./oidc-token.js";
import { deriveRunId, deriveRunnerId } from "./run-id.js";
import { readIntentStateConfig, remoteEnabled, resolveBackendUrl, type RemoteFlags, type StateConfig } from "./settings.js";
import { isRunFinished, logsText, statusJson, statusText } from "./status-view.js";
import type { JobView, RunView } from "./protocol.js";

export interface RemoteRunSetup {
  hooks: RemoteHooks;
  /** The local execution record's ID: unique per process, so runners sharing a directory don't contend for its lock. */
  execId: string;
  runId: string;
}

export async function remoteRunSetup(
  flags: RemoteFlags & { execId?: string; job?: string },
  resolved: { plan: Plan; intentRoot?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<RemoteRunSetup | undefined> {
  const config: StateConfig | undefined = resolved.plan.execution?.state ?? (await readIntentStateConfig(resolved.intentRoot));
  if (!remoteEnabled(flags, env, config)) return undefined;
  const baseUrl = resolveBackendUrl(flags, env, config);
  const runId = deriveRunId(flags.execId, env);
  const runnerId = deriveRunnerId(env);
  const client = new BackendClient({ baseUrl, auth: resolveTokenSource(env) });
  const hooks = new RemoteHooks({
    client,
    plan: resolved.plan,
    runId,
    runnerId,
    mode: flags.job ? "job" : "plan",
    triggerType: env.GITHUB_ACTIONS === "true" ? "ci" : "local",
    actor: env.GITHUB_ACTOR || undefined,
    waitTimeoutMs: env.ORUN_REMOTE_WAIT_TIMEOUT_MS ? Number(env.ORUN_REMOTE_WAIT_TIMEOUT_MS) : undefined,
  });
  process.stderr.write(`remote state: run ${runId} on ${baseUrl} (runner ${runnerId})\n`);
  const safeRunId = runId.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 100) || "remote";
  return { hooks, runId, execId: `${safeRunId}.${randomBytes(3).toString("hex")}` };
}

interface ReadOptions extends RemoteFlags {
  intent?: string;
  execId?: string;
}

async function remoteReader(opts: ReadOptions, env: NodeJS.ProcessEnv): Promise<{ client: BackendClient; runId: string; baseUrl: string } | undefined> {
  const { locateIntentRoot } = await import("../runtime/plan-source.js");
  const config = await readIntentStateConfig(await locateIntentRoot(process.cwd(), opts.intent));
  if (!remoteEnabled(opts, env, config)) return undefined;
  const baseUrl = resolveBackendUrl(opts, env, config);
  const runId = opts.execId?.trim() || env.ORUN_EXEC_ID?.trim();
  if (!runId) throw new OrunError("--remote-state requires --exec-id or ORUN_EXEC_ID");
  return { client: new BackendClient({ baseUrl, auth: resolveTokenSource(env) }), runId, baseUrl };
}

/** `orun status --remote-state [--watch] [--json]`; undefined when remote state is off. */
export async function remoteStatus(opts: ReadOptions & { watch?: boolean; intervalMs: number; json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const reader = await remoteReader(opts, env);
  if (!reader) return undefined;
  const { client, runId, baseUrl } = reader;
  for (;;) {
    let text: string;
    let finished = false;
    let failed = false;
    try {
      const [run, jobs] = await Promise.all([client.getRun(runId), client.listJobs(runId)]);
      text = opts.json ? statusJson(run, jobs) : statusText(run, jobs, baseUrl);
      finished = isRunFinished(run);
      failed = run.status === "failed" || run.status === "cancelled";
    } catch (err) {
      if (!opts.watch) throw err;
      text = `Error fetching remote state: ${err instanceof Error ? err.message : String(err)}\n`;
    }
    if (!opts.watch) {
      process.stdout.write(text);
      return 0;
    }
    process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[J${text}` : text);
    if (finished) return failed ? 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
  }
}

/**
 * `orun logs --remote-state [--job X] [--step S] [--failed] [--follow]`; undefined when remote state
 * is off. A job's remote log is its steps' output, each under a `=== <step> ===` line (hooks.ts).
 */
export async function remoteLogs(
  opts: ReadOptions & { job?: string; step?: string; failed?: boolean; follow?: boolean; pollMs?: number },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  const reader = await remoteReader(opts, env);
  if (!reader) return undefined;
  const { client, runId } = reader;
  const wanted = opts.job ? [opts.job, canonicalJobId(opts.job)] : undefined;
  const read = async (): Promise<{ run: RunView; entries: { job: JobView; log: string }[] }> => {
    const [run, jobs] = await Promise.all([client.getRun(runId), client.listJobs(runId)]);
    const selected = jobs.filter((j) => (!wanted || wanted.some((w) => j.jobId.includes(w))) && (!opts.failed || j.status === "failed"));
    const entries: { job: JobView; log: string }[] = [];
    for (const job of selected) {
      if (!job.logRef) continue;
      const log = stepSections(await client.readLog(runId, job.jobId), opts.step);
      if (log.trim()) entries.push({ job, log });
    }
    return { run, entries };
  };
  if (!opts.follow) {
    const { run, entries } = await read();
    if (entries.length === 0) {
      process.stdout.write(opts.job || opts.step || opts.failed ? "No logs match.\n" : "No logs for this run yet.\n");
      return 0;
    }
    process.stdout.write(logsText(run, entries));
    return 0;
  }
  // Follow: print what each job's log gains until the run is finished (then one last read).
  const shown = new Map<string, string>();
  for (;;) {
    const { run, entries } = await read();
    for (const { job, log } of entries) {
      const seen = shown.get(job.jobId);
      if (seen === undefined) process.stdout.write(`── ${job.jobId}\n`);
      // A takeover restarts a job's log: one that no longer begins with what was shown is shown from its start.
      const from = seen !== undefined && log.startsWith(seen) ? seen.length : 0;
      if (seen !== undefined && from === 0) process.stdout.write(`── ${job.jobId} (its log restarted: another runner took the job over)\n`);
      if (log.length > from) process.stdout.write(log.slice(from));
      shown.set(job.jobId, log);
    }
    if (isRunFinished(run)) return run.status === "completed" ? 0 : 1;
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000));
  }
}

/** The sections of a remote job log for one step (by key, or part of it), or the whole log. */
export function stepSections(log: string, step: string | undefined): string {
  if (!step) return log;
  const out: string[] = [];
  let keep = false;
  for (const line of log.split(/(?<=\n)/)) {
    const header = /^=== (.+) ===\n?$/.exec(line);
    if (header) keep = header[1] === step || header[1]!.includes(step);
    if (keep) out.push(line);
  }
  return out.join("");
}
