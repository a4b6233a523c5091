// Run-time admission of a job: policies that require approval (decision 5)
// and environment-promotion gates (decision 8). A gate is satisfied by
// evidence in local execution history: an execution of a plan compiled from
// the same source revision in which every job of the gate's component in
// the gate's environment that its plan (manifest.json) holds completed, each
// in a run that vouched for that revision (gate-evidence.ts). In remote mode the backend's runs are the evidence
// instead (hooks.gateSatisfied), never local history.
import { canonicalJobId, parseJobId, requiresApproval, type PlanJob, type PromotionGate } from "../model/plan.js";
import type { ExecutionStore } from "./records/store.js";
import type { ExecutionHooks, WithheldGateEvidence } from "./hooks.js";
import { readStateFile, type ExecState } from "./records/state.js";
import { shellWord } from "../util/shell-word.js";
import { componentOutcome, evidenceRevision, readRecordedPlan } from "./gate-evidence.js";
import { readRemovedEvidence } from "./removed-evidence.js";

/**
 * One execution record as evidence: its plan's job IDs (canonical), undefined when its manifest cannot be read, and
 * the revision that plan was compiled at; `revision`, its metadata.revision, stands for the results an older orun
 * recorded without their own.
 */
interface Recorded {
  execId: string;
  revision?: string;
  state: ExecState;
  planJobs?: string[];
  planRevision?: string;
}

export interface Admission {
  approve: boolean;
  /** The run's stop (Ctrl-C, SIGTERM): a remote gate query in flight ends with it. */
  signal?: AbortSignal;
}

export class GateEvaluator {
  private history: Promise<Recorded[]> | undefined;

  constructor(
    /**
     * The revision the run's evidence is for: the plan's, else — resuming an execution an older orun started, whose
     * plan loads without the revision its checksum did not cover — the one that execution recorded.
     */
    private readonly revision: string | undefined,
    private readonly store: ExecutionStore,
    private readonly currentExecId: string,
    private readonly currentState: ExecState,
    /** Remote state holds the evidence (the backend's runs); local history is consulted only without it. */
    private readonly hooks?: ExecutionHooks,
    /** The plan this run runs: its jobs are what the run's own record must complete, its revision the one to check out. */
    private readonly currentPlan?: { jobs: readonly { id: string }[]; metadata?: { revision?: string } },
  ) {}

  /** Undefined when the job may run, otherwise the reason it is blocked. */
  async check(job: PlanJob, admission: Admission): Promise<string | undefined> {
    if (requiresApproval(job) && !admission.approve) return "policy requireApproval: rerun with --approve to run this job";
    for (const gate of job.gates ?? []) {
      const reason = await this.checkGate(gate, admission.signal);
      if (reason) return reason;
    }
    return undefined;
  }

  private async checkGate(gate: PromotionGate, signal: AbortSignal | undefined): Promise<string | undefined> {
    const what = `promotion gate: ${gate.component} must have succeeded in ${gate.environment}`;
    if ((gate.condition ?? "success") !== "success") return `${what} (unsupported condition "${gate.condition}")`;
    const revision = this.revision;
    if (!revision) return this.noRevision(what);
    // Remote state: the backend's evidence alone decides (decision 8); this machine's history may be
    // of runs the backend never saw.
    if (this.hooks?.gateSatisfied) {
      let satisfied: boolean | WithheldGateEvidence;
      try {
        satisfied = await this.hooks.gateSatisfied(gate, revision, signal);
      } catch (err) {
        // Stopped while asking (Ctrl-C): undecided, so the job is not run; the run ends as canceled.
        if (signal?.aborted || (err as { name?: unknown } | undefined)?.name === "AbortError") return `${what}: not checked, the run was stopped`;
        throw err;
      }
      if (satisfied === true) return undefined;
      const withheld = satisfied === false ? undefined : satisfied.withheld;
      if (withheld?.cause) return `${what} at revision ${revision.slice(0, 12)} (${withheldReason(gate, withheld)})`;
      // No run at that revision succeeded: say so and what to run, not causes of withheld evidence that do not apply.
      if (!withheld) {
        return `${what} at revision ${revision.slice(0, 12)} (the backend has no run at that revision in which every ${gate.component} job in ${gate.environment} succeeded; run them for that commit, e.g. \`orun run --component ${shellWord(gate.component)} --env ${shellWord(gate.environment)} --remote-state\` in a clean checkout of it, then retry this job)`;
      }
      // One did but the backend kept no cause for the job that is no evidence (a result from before it kept one):
      // both causes are named, and where each is told.
      return `${what} at revision ${revision.slice(0, 12)} (the backend has no run at that revision whose ${gate.component} jobs in ${gate.environment} all succeeded running that commit; a success from other code records no evidence: a job retried after a fix, or a GitHub Actions runner whose OIDC token is for another commit than the one it ran, which that runner's output and the backend's log name; run ${gate.environment} from a checkout of the commit its workflow run is for, or the fixed commit's plan, and promote that commit)`;
    }
    return (await this.localEvidence(gate, revision)).blocked;
  }

  /**
   * A gate judged by this machine's records alone, reading and writing nothing else: the execution whose success
   * satisfies it (the run's own, `currentExecId`, first), else why it blocks. The dry-run shows either.
   */
  async checkLocalGate(gate: PromotionGate): Promise<{ satisfiedBy?: string; blocked?: string }> {
    const what = `promotion gate: ${gate.component} must have succeeded in ${gate.environment}`;
    if ((gate.condition ?? "success") !== "success") return { blocked: `${what} (unsupported condition "${gate.condition}")` };
    if (!this.revision) return { blocked: this.noRevision(what) };
    return this.localEvidence(gate, this.revision);
  }

  /**
   * A gate of a run that vouches for no revision. When its plan records one, the jobs' tree was not a clean checkout of
   * it (a commit since, edits; as warned): checking that commit out gives the run the revision its evidence is for.
   */
  private noRevision(what: string): string {
    const planned = this.currentPlan?.metadata?.revision;
    if (!planned) return `${what} for the same revision, but this run vouches for none (the plan records no source revision, as warned when it was compiled: its tree had uncommitted changes, or was not a git checkout with a commit; commit the changes and plan again)`;
    return `${what} at the plan's revision ${planned.slice(0, 12)}, but this run vouches for none: the jobs' tree is not a clean checkout of that commit (as warned); check it out (\`git checkout ${planned}\`, edits committed or set aside) and resume, or run a plan compiled from the commit checked out`;
  }

  private async localEvidence(gate: PromotionGate, revision: string): Promise<{ satisfiedBy?: string; blocked?: string }> {
    const what = `promotion gate: ${gate.component} must have succeeded in ${gate.environment}`;
    const current: Recorded = { execId: this.currentExecId, revision, state: this.currentState, planJobs: this.currentPlan?.jobs.map((job) => canonicalJobId(job.id)) };
    const records = [current, ...(await this.loadHistory())];
    const found: string[] = [];
    for (const record of records) {
      const outcome = componentOutcome(record.state, record.planJobs, gate.component, gate.environment, record.revision);
      if (outcome.kind === "succeeded" && evidenceRevision(outcome.ranAt) === revision) return { satisfiedBy: record.execId };
      // Findings come from records of a plan compiled at this revision (or, an older orun's, recorded under it).
      if (record !== current && record.planRevision !== revision && record.revision !== revision) continue;
      const which = record === current ? "this execution" : `execution ${record.execId}`;
      if (outcome.kind === "succeeded") {
        const other = [...outcome.ranAt].filter(([, at]) => at !== revision).map(([id]) => id);
        found.push(`every ${gate.component} job in ${gate.environment} completed in ${which}, but ${other.join(", ")} succeeded from a tree that was not a clean checkout of this commit (uncommitted changes, or another commit; that run warned so), which is no evidence for it`);
      } else if (outcome.kind === "failed") found.push(`${outcome.job} failed in ${which}`);
      // The run's own jobs yet to run are no finding (the dry-run names them as evidence to come).
      else if (record === current) continue;
      else if (outcome.kind === "partial") found.push(`${which} ran only ${outcome.total - outcome.missing.length} of its ${outcome.total} ${gate.component} jobs in ${gate.environment} (not ${outcome.missing.join(", ")})`);
      else if (outcome.kind === "no-plan" && Object.keys(record.state.jobs).some((id) => isJobOf(id, gate))) {
        found.push(`${which} keeps no readable plan (manifest.json), so which ${gate.component} jobs it had to run is unknown and it is no evidence`);
      }
    }
    const removed = (await readRemovedEvidence(this.store)).filter((note) => note.component === gate.component && note.environment === gate.environment && note.revision === revision).pop();
    if (removed) {
      const count = removed.revisions ?? 0;
      const by = removed.cause === "drop-evidence" ? "orun gc --drop-evidence" : "orun gc";
      const kept = count === 0 ? "keeps no success as evidence when run with --evidence-revisions 0" : `keeps the newest success of ${gate.component} in ${gate.environment} for the ${count} newest revision${count === 1 ? "" : "s"} it succeeded at there (gc --evidence-revisions)`;
      const why = removed.cause === "drop-evidence" ? "" : `: it ${kept}`;
      found.push(`${by} removed execution ${removed.execId}, its success at this revision, on ${removed.removedAt.slice(0, 10)}${why}`);
    }
    if (found.length === 0) {
      // Say where else it succeeded: a promotion of a commit other than the one the environment ran.
      const elsewhere = records.flatMap((record) => {
        const outcome = componentOutcome(record.state, record.planJobs, gate.component, gate.environment, record.revision);
        const at = outcome.kind === "succeeded" ? evidenceRevision(outcome.ranAt) : undefined;
        return at === undefined ? [] : [{ execId: record.execId, at }];
      })[0];
      found.push(`no execution recorded here ran all its ${gate.component} jobs in ${gate.environment} at this revision${elsewhere ? `; execution ${elsewhere.execId} did, at revision ${elsewhere.at.slice(0, 12)} only` : ""}`);
    }
    const command = `orun run --component ${shellWord(gate.component)} --env ${shellWord(gate.environment)}`;
    return { blocked: `${what} at revision ${revision.slice(0, 12)} (${found.join("; ")}; run them for this commit first, e.g. \`${command}\` in this checkout, then resume this run)` };
  }

  private loadHistory(): Promise<Recorded[]> {
    this.history ??= (async () => {
      const out: Recorded[] = [];
      for (const entry of await this.store.list()) {
        // Records without a revision too: a resume from another tree leaves none, yet the results of its runs that
        // vouched for one keep it (JobState.revision).
        if (entry.execId === this.currentExecId) continue;
        const state = await readStateFile(this.store.stateFile(entry.execId)).catch(() => undefined);
        if (!state) continue;
        const plan = await readRecordedPlan(this.store, entry.execId);
        out.push({ execId: entry.execId, revision: entry.meta?.revision, state, planJobs: plan?.jobIds, planRevision: plan?.revision });
      }
      return out;
    })();
    return this.history;
  }
}

/** The one cause the backend recorded for a run at the revision that succeeded yet is no evidence, and what to do. */
function withheldReason(gate: PromotionGate, withheld: WithheldGateEvidence["withheld"]): string {
  const { runId, jobId, reason } = withheld;
  const env = gate.environment;
  const ran = `the backend's run ${runId} at that revision had every ${gate.component} job in ${env} succeed, but ${jobId}`;
  const why = reason ? `: ${reason}` : "";
  if (withheld.cause === "other-code") {
    return `${ran} ran other code than that commit and records no evidence${why}; a job retried after a fix ran the fix, not this commit: run the fixed commit's plan in ${env} and promote that commit`;
  }
  if (withheld.cause === "other-checkout") {
    // The runner cannot tell a tree moved on to a fix from edits or another folder: advice for either.
    return `${ran} ran from a checkout that was not that commit (it had moved on, had edits, or was another folder) and records no evidence${why}; a fix is evidence once committed: run that commit's plan in ${env} and promote it, or run ${env} again from a clean checkout of this commit`;
  }
  if (withheld.cause === "other-code-and-oidc-commit") {
    return `${ran} ran other code than that commit, on a GitHub Actions runner whose OIDC token does not vouch for it either, and records no evidence${why}; a job retried after a fix ran the fix, not this commit, and its runner's OIDC token does not vouch for the commit it ran: run the fixed commit's plan in ${env} from a checkout of the commit its workflow run is for (github.sha), and promote that commit`;
  }
  return `${ran} ran on a GitHub Actions runner whose OIDC token does not vouch for that commit and records no evidence${why}; run ${env} from a checkout of the commit its workflow run is for (github.sha), and promote that commit`;
}

/** Whether a job ID belongs to the component and environment a gate names. */
export function isJobOf(id: string, gate: PromotionGate): boolean {
  const parts = parseJobId(id);
  return parts?.component === gate.component && parts.environment === gate.environment;
}
