// The run in remote state: created by this runner, or joined when another runner created it with the same plan (its
// checksum). A runner whose plan differs from the run's only in metadata.revision (a fix committed before a retry)
// joins it as the run's plan when that is stored here (recorded-plan.ts); any other difference is refused, saying how
// to go on with the run or start another. What the backend answered (plan ID, revision, failFast) is kept here.
import path from "node:path";
import type { Plan } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { BackendError, RequestCancelled } from "./client.js";
import { isCommitId, type BackendPlan, type RunView } from "./protocol.js";
import { backendPlan } from "./plan-payload.js";
import type { RemoteHooksOptions } from "./hooks.js";
import type { RerunAdvice } from "./rerun-advice.js";
import type { PromotionEvidence } from "./promotion-evidence.js";

export class RunRegistration {
  private run?: Promise<void>;
  // What the backend answered, set by ensure() and runPlan() alone.
  /** The plan's ID (short checksum), as `orun run <plan-id>` names it: re-run commands name the same plan. */
  planId = "";
  /** The backend created or joined the run (ensure answered). */
  registered = false;
  /** The backend's answer to whether a failure stops the run on every runner (undefined: it did not say). */
  runFailFast?: boolean;
  /** The run's plan ID when this runner joined the run as that plan (its own differs only in metadata.revision). */
  joinedAs?: string;
  /** The run's revision: that of the plan the run was created or joined with (what its evidence is for). */
  runRevision?: string;

  /** `advice` words the command that goes on with the run; `evidence` tells what a joining runner's jobs vouch for. */
  constructor(
    private readonly options: RemoteHooksOptions,
    private readonly say: (line: string) => void,
    private readonly advice: RerunAdvice,
    private readonly evidence: PromotionEvidence,
  ) {}

  /**
   * Creates the run, or joins it when another runner already did (same plan checksum). `signal` (the run's stop,
   * as the first job's admission got it) ends the attempt, retries included.
   */
  ensure(signal?: AbortSignal): Promise<void> {
    this.run ??= (async () => {
      const { client, plan, runId } = this.options;
      let payload = registrablePlan(plan);
      this.planId = payload.checksum;
      const create = () => client.createRun({ plan: payload, runId, triggerType: this.options.triggerType, actor: this.options.actor }, { signal });
      const created = await create().catch(async (err: unknown) => {
        if (!(err instanceof BackendError && err.status === 409 && /different plan checksum/i.test(err.message))) throw err;
        // Started from another plan: the same but for a commit since (a fix, then the printed retry) joins it.
        payload = registrablePlan(await this.runPlan(err, signal));
        return create();
      });
      this.registered = true;
      this.runRevision = payload.revision;
      this.runFailFast = created.failFast;
      // This backend confirms the run stops on every runner; v2 has no such thing: say what a failure here stops.
      // An answer without failFast proves nothing: orun backends from before it was answered stop the run too.
      if (payload.failFast && created.failFast !== true) {
        const stopsOnlyHere = "a job failing on this runner stops only this runner, and the run's other runners keep starting jobs";
        this.say(
          created.failFast === false
            ? `! fail-fast: the backend at ${client.baseUrl} does not stop remote run ${runId} across runners; ${stopsOnlyHere}`
            : `! fail-fast: the backend at ${client.baseUrl} cannot confirm that it stops remote run ${runId} across runners (a v2 backend does not, an orun backend from before it said so does); if it does not, ${stopsOnlyHere}`,
        );
      }
    })();
    return this.run;
  }

  /**
   * Registers the run before the runtime prints its header, which then names the plan the run goes on as. A refusal
   * or an outage rejects, before the header: the runtime discards the new record of a runner that took no part in the
   * run, so a header naming it (`Local record: …`) would name a record that is gone. A Ctrl-C here is the same: the
   * runner took no part, so it says what it waited for and rejects with the cancel (RequestCancelled), which the
   * runtime treats as a refusal (no header, no record, `latest` untouched) and `orun run` exits with the signal's code.
   */
  async joinedPlanId(signal?: AbortSignal): Promise<string | undefined> {
    await this.ensure(signal).catch((err: unknown) => {
      if (!signal?.aborted) throw err;
      // Ctrl-C here starts no job, so no admission says it: the backend was what the runner waited for.
      this.say(`✕ remote run ${this.options.runId}: canceled while waiting for the backend at ${this.options.client.baseUrl}`);
      throw err instanceof RequestCancelled ? err : new RequestCancelled();
    });
    return this.joinedAs;
  }

  /**
   * The plan remote run R was started from, when it is stored here and differs from this runner's only in its
   * revision (this runner then joins the run with it: their jobs are the same); otherwise an error saying how to go
   * on with the run, or to start another.
   */
  private async runPlan(conflict: BackendError, signal: AbortSignal | undefined): Promise<Plan> {
    const { client, plan, runId, storeDir } = this.options;
    const ours = this.planId;
    // The run as the backend shows it (its plan, its commit), read on this path alone; unreadable, it names nothing.
    let view: Promise<RunView | undefined> | undefined;
    const readRun = () =>
      (view ??= client.getRun(runId, { signal }).catch((err: unknown) => {
        if (err instanceof RequestCancelled) throw err;
        return undefined;
      }));
    // This backend's refusal names the run's plan; v2's does not, its run does. Only a plan ID is named back (or looked up).
    const named = /\bhas (\S+), request has\b/.exec(conflict.message)?.[1] ?? (await readRun())?.planChecksum;
    const theirs = named && /^[0-9a-f]{12}$/.test(named) ? named : undefined;
    const found = theirs && storeDir ? await (await import("./recorded-plan.js")).lookUpRunPlan(storeDir, theirs, plan) : undefined;
    if (found?.plan && found.revisionOnly) {
      const revision = (of: Plan): string => of.metadata.revision?.slice(0, 12) ?? "none";
      this.say(
        `notice: remote run ${runId} was started from plan ${theirs} (revision ${revision(found.plan)}); this runner's plan ${ours} differs from it only in metadata.revision (${revision(plan)}), so it joins the run as plan ${theirs}`,
      );
      // Its jobs run this tree, not the run's commit: their results vouch for none of the run's (vouching).
      const ran = this.evidence.ranRevision;
      if (found.plan.metadata.revision) {
        this.say(
          `notice: the jobs this runner runs in remote run ${runId} record no promotion evidence for ${revision(found.plan)} (they run ${ran ? `commit ${ran.slice(0, 12)}` : "code of no commit"})`,
        );
      }
      this.planId = theirs!;
      this.joinedAs = theirs;
      return found.plan;
    }
    // The commit the run was started from: the backend's (RunView.revision), else the stored copy's; older backends and v2 send none.
    // The backend's is used only when it is a commit's hex ID: any runner of the namespace may have set it.
    const told = (await readRun())?.revision;
    const runCommit = (typeof told === "string" && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(told) ? told : undefined) ?? found?.plan?.metadata.revision;
    const at = runCommit ? ` at commit ${runCommit.slice(0, 12)}` : "";
    const keeps = "a run keeps the plan it started with";
    const message = !theirs
      ? `remote run ${runId} was started from another plan${at} than this runner's ${ours} (${keeps})`
      : `remote run ${runId} was started from plan ${theirs}${at}, not from this runner's plan ${ours} (${keeps}), ${
          found?.plan ? "and the two differ in more than their source revision (jobs, steps or settings changed)" : `and plan ${theirs} is not stored here to tell whether the two differ only in their revision`
        }`;
    const unusable = found?.unusable ? `; ${found.file} is not it: ${found.unusable}` : "";
    // The machine that compiled it may be gone (a GitHub runner): a plan's ID covers its jobs and its commit, not
    // the machine or folder, so planning that commit again with the same flags stores the same plan.
    const rebuild = this.options.rebuildPlan ? `\`${this.options.rebuildPlan}\`` : "`orun plan` with the flags its first runner planned with";
    const commit = runCommit ? `commit ${runCommit} (the one run ${runId} was started from)` : `the commit run ${runId} was started from`;
    const bring = found?.plan
      ? ""
      : `check out ${commit} and run ${rebuild} there, which stores plan ${theirs} in .orun/plans${found ? ` (${path.dirname(found.file)})` : ""}; check out your fix again, then `;
    const goOn = theirs ? `to go on with run ${runId}, ${bring}run its plan: ${this.advice.command(theirs, this.options.job, this.options.retryJob !== undefined)}; ` : "";
    throw new OrunError(message + unusable, { hint: `${goOn}to run this plan instead, start a new run under another --exec-id or ORUN_EXEC_ID` });
  }
}

/**
 * The plan as the backend registers it, refused here, naming the field as the plan file has it, when its revision is no
 * commit ID (a hand-edited plan): the backend refuses it too, and evidence is kept by commit.
 */
function registrablePlan(plan: Plan): BackendPlan {
  const payload = backendPlan(plan);
  if (payload.revision !== undefined && !isCommitId(payload.revision)) {
    const shown = /^[\x20-\x7e]{0,80}$/.test(payload.revision) ? JSON.stringify(payload.revision) : `(${payload.revision.length} characters)`;
    throw new OrunError(
      `plan ${payload.checksum}: metadata.revision ${shown} is not a commit ID (40 or 64 lower-case hex digits, as \`orun plan\` records the commit it compiled in a git checkout), and remote state keeps promotion evidence by commit: plan again in a clean checkout, or leave metadata.revision out`,
    );
  }
  return payload;
}
