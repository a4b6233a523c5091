// Promotion evidence in remote state (40-remote-state.md; README "Promotion evidence"): a promotion gate asks the
// backend whether a run of the repository at the revision succeeded (or which job's success it withholds, and why),
// and each result this runner reports says which revision the job ran (vouchFor), which the backend checks against
// the run's before it counts the success as evidence.
import type { PromotionGate } from "../model/plan.js";
import type { WithheldGateEvidence } from "../runtime/hooks.js";
import { printable } from "../util/printable.js";
import { BackendError } from "./client.js";
import { MAX_NO_EVIDENCE_REASON_CHARS, knownNoEvidenceCause, type UpdateResponse } from "./protocol.js";
import type { RemoteHooksOptions } from "./hooks.js";

export class PromotionEvidence {
  /** The backend answered /v1/evidence with 404 (v2 has no such API): every gate blocks. */
  private noEvidenceApi = false;
  /**
   * The revision this runner's jobs vouch for, as the runtime told it (vouchFor): reported with each result. Not told
   * (hooks driven without the runtime), results say nothing, as older runners' do.
   */
  private vouched?: { revision: string | undefined };
  /** The backend did not confirm that it keeps no evidence from a job that ran other code (said once). */
  private unconfirmedSaid = false;

  /** `runRevision`: the revision of the run, once registered (what its evidence is for). */
  constructor(
    private readonly options: Pick<RemoteHooksOptions, "client" | "runId">,
    private readonly say: (line: string) => void,
    private readonly runRevision: () => string | undefined,
  ) {}

  /**
   * Promotion-gate evidence from the backend: any run of this repository at the same revision. A backend
   * without the evidence API (v2: 404) records none, so the gate blocks its job (decision 8) — said once,
   * with the reason, instead of failing the whole run on the 404. The run's stop ends the query (and its
   * retries against an overloaded backend) at once, rejecting with RequestCancelled (an AbortError).
   */
  async gateSatisfied(gate: PromotionGate, revision: string, signal: AbortSignal | undefined): Promise<boolean | WithheldGateEvidence> {
    if (this.noEvidenceApi) return false;
    try {
      const res = await this.options.client.evidence({ component: gate.component, environment: gate.environment, revision }, { signal });
      if (res.satisfied === true) return true;
      return withheldEvidence(res.withheld) ?? false;
    } catch (err) {
      if (!(err instanceof BackendError && err.status === 404)) throw err;
      this.noEvidenceApi = true;
      this.say(
        `! promotion gates: the backend at ${this.options.client.baseUrl} keeps no promotion-gate evidence (GET /v1/evidence: ${err.message}; a v2 backend?), so jobs with a gate are blocked in this run; run them against an orun backend (orun backend serve), which records the evidence`,
      );
      return false;
    }
  }

  /** The revision the code this runner's jobs run is at (undefined: none, the tree is not a clean commit). */
  vouchFor(revision: string | undefined): void {
    this.vouched = { revision };
  }

  /** The revision the runtime told, if it told one (vouchFor). */
  get ranRevision(): string | undefined {
    return this.vouched?.revision;
  }

  /**
   * What a job's result says it vouches for (UpdateRequest.revision): the revision the runtime told (the code that
   * ran), or null — none. Nothing when neither this runner nor the run has a revision (nothing to vouch for), or
   * when the runtime told nothing.
   */
  vouching(): { revision?: string | null } {
    if (!this.vouched || (!this.vouched.revision && !this.runRevision())) return {};
    return { revision: this.vouched.revision ?? null };
  }

  /**
   * A job that ran other code than the run's revision is no promotion evidence for it (run-revision.ts said so). This
   * backend confirms it with the answer's `evidence`; one that does not (orun backends before it) may count it. The
   * backend may withhold it for a reason of its own (`evidenceWithheld`: the runner's OIDC token is for another commit).
   */
  checkEvidenceWithheld(id: string, sent: string | null | undefined, answer: UpdateResponse | undefined): void {
    const runRevision = this.runRevision();
    // Withheld for a reason this runner could not see (its OIDC token is for another commit than the one it ran).
    if (answer?.evidenceWithheld) {
      const rev = runRevision ? ` for ${runRevision.slice(0, 12)}` : "";
      this.say(`! job ${id} succeeded, but the backend records it as no promotion evidence${rev} in remote run ${this.options.runId}: ${answer.evidenceWithheld}`);
      return;
    }
    // Said nothing, or vouched for the run's revision: nothing to withhold.
    if (sent === undefined || runRevision === undefined || sent === runRevision) return;
    // No answer at all (a repeat a v2 backend refused, read back from the job's status) tells nothing either way.
    if (!answer || answer.evidence !== undefined || this.unconfirmedSaid) return;
    this.unconfirmedSaid = true;
    const rev = runRevision.slice(0, 12);
    this.say(
      `! the backend at ${this.options.client.baseUrl} did not confirm that job ${id}, which ran other code than remote run ${this.options.runId}'s revision ${rev}, is no promotion evidence for ${rev}: an older orun backend counts its success, so a promotion gate on ${rev} may pass on code that did not run at ${rev}`,
    );
  }
}

/**
 * The backend's `withheld` (EvidenceResponse) for the gate's text, its texts made printable; undefined when absent or
 * not of that shape (an unknown cause reads as none recorded).
 */
function withheldEvidence(withheld: unknown): WithheldGateEvidence | undefined {
  if (typeof withheld !== "object" || withheld === null) return undefined;
  const { runId, jobId, cause, reason } = withheld as Record<string, unknown>;
  if (typeof runId !== "string" || typeof jobId !== "string") return undefined;
  return {
    withheld: {
      runId: printable(runId, { max: 256, asciiOnly: true }),
      jobId: printable(jobId, { max: 256, asciiOnly: true }),
      cause: knownNoEvidenceCause(cause),
      reason: typeof reason === "string" && reason ? printable(reason, { max: MAX_NO_EVIDENCE_REASON_CHARS, asciiOnly: true }) : null,
    },
  };
}
