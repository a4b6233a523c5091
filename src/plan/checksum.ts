// Plan checksum and job identity (spec 12 §4.4, decision 2).
//
// The checksum is sha256 over the compact Go-JSON of the plan's content. Unlike
// orun v2.3, `generatedAt` is NOT hashed, so the same inputs always give the
// same checksum. As in v2.3, fields that describe where/when the plan was
// compiled rather than what it does are not hashed either: the checksum itself,
// job uid/displayName/checkName, spec.compositionSources, metadata.trigger,
// metadata.scope and metadata.workDir. metadata.revision is hashed: promotion
// gates match on it, so editing it must be caught like editing a step.
//
// A recorded checksum is never trusted (decision 7): a plan loaded to run is
// verified against its content, and a run records a checksum only once it
// matches (verifyRecordedChecksum, runChecksum).
import { createHash } from "node:crypto";
import type { Plan, PlanMetadata } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { encodeGoJson, writeGoJson, type Shape } from "./canonical-json.js";
import { hashedPlanShape, unrevisedHashedPlanShape, v2HashedPlanShape } from "./format.js";

export const CHECKSUM_PREFIX = "sha256-";

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The exact bytes that are hashed: compact Go-JSON of the plan's content (see hashedPlanShape). */
export function checksumPayload(plan: Plan): string {
  return encodeGoJson({ ...plan, jobs: plan.jobs ?? [] }, hashedPlanShape);
}

function checksumOf(plan: Plan, shape: Shape): string {
  const hash = createHash("sha256");
  writeGoJson({ ...plan, jobs: plan.jobs ?? [] }, shape, "", (chunk) => hash.update(chunk, "utf8"));
  return CHECKSUM_PREFIX + hash.digest("hex");
}

/** `sha256-<64 hex>` of the plan's content (the payload is streamed into the hash). */
export function computePlanChecksum(plan: Plan): string {
  return checksumOf(plan, hashedPlanShape);
}

/**
 * Plans whose recorded checksum was checked against their content, keyed by
 * their metadata object (shared by the copies the runtime makes of the plan),
 * so a 1,000-job plan is hashed once per run, not at load and again at start.
 */
const verified = new WeakMap<PlanMetadata, string>();

function checksumMismatch(recorded: string, actual: string, file?: string): OrunError {
  return new OrunError(`plan content does not match its checksum: metadata.checksum is ${recorded}, the content hashes to ${actual}`, {
    location: { file, field: "metadata.checksum" },
    hint: "the plan was edited after `orun plan` wrote it; run `orun plan` again, or remove metadata.checksum to run it as a hand-written plan",
  });
}

/**
 * Refuses a plan (as read from `file`, job IDs as written there) whose
 * metadata.checksum does not match its content. Without a checksum the plan is
 * hand-written and is checksummed when it runs.
 *
 * Older plan files still load: one orun v2.3 wrote (its checksum also covers
 * generatedAt) and one an earlier build of orun wrote (its checksum leaves out
 * metadata.revision). Their checksum does not vouch for a revision, so one
 * they carry is removed from `plan.metadata` (gated jobs are then blocked, and
 * the run records no promotion evidence) and a warning says so. Without a
 * revision such a plan hashes, by today's rule, to the checksum it records.
 */
export function verifyRecordedChecksum(plan: Plan, file: string, warn: (message: string) => void = () => {}): void {
  const recorded = plan.metadata.checksum;
  if (!recorded) return;
  const actual = computePlanChecksum(plan);
  if (actual !== recorded) {
    const older = checksumOf(plan, unrevisedHashedPlanShape) === recorded || checksumOf(plan, v2HashedPlanShape) === recorded;
    if (!older) throw checksumMismatch(recorded, actual, file);
    if (plan.metadata.revision !== undefined) {
      warn(
        `${file}: metadata.revision ${String(plan.metadata.revision).slice(0, 12)} is not covered by the plan's checksum (an older orun wrote it), so it is ignored: a new run's promotion gates block and it records no promotion evidence (resuming an execution that recorded the revision keeps it); run \`orun plan\` again to record the revision`,
      );
      delete plan.metadata.revision;
    }
  }
  verified.set(plan.metadata, recorded);
}

/**
 * The checksum a run records: the plan's own once verified (at load, or here
 * against its content), else that of its content (a hand-written plan).
 */
export function runChecksum(plan: Plan): string {
  const recorded = plan.metadata?.checksum;
  if (recorded && verified.get(plan.metadata) === recorded) return recorded;
  const actual = computePlanChecksum({ ...plan, metadata: plan.metadata ?? { name: "" } });
  if (recorded && recorded !== actual) throw checksumMismatch(recorded, actual);
  return actual;
}

/** `deploy-app` → `Deploy app`. */
export function jobDisplayName(jobName: string): string {
  const spaced = jobName.replaceAll("-", " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** `job_<first 7 hex of the plan digest>_<first 12 hex of sha256(digest + NUL + jobId)>`. */
export function jobUid(digestHex: string, jobId: string): string {
  return `job_${digestHex.slice(0, 7)}_${sha256Hex(`${digestHex}\u0000${jobId}`).slice(0, 12)}`;
}

/**
 * Sets metadata.checksum and every job's uid/displayName/checkName. Returns a new plan; the
 * identity fields come right after `id` so the stored key order matches v2.3.
 */
export function stampPlan(plan: Plan): Plan {
  const checksum = computePlanChecksum(plan);
  const digest = checksum.slice(CHECKSUM_PREFIX.length);
  const jobs = plan.jobs.map((job) => {
    const displayName = jobDisplayName(job.name);
    return {
      ...job,
      uid: jobUid(digest, job.id),
      displayName,
      checkName: `${job.component} · ${job.environment} · ${displayName}`,
    };
  });
  return { ...plan, metadata: { ...plan.metadata, checksum }, jobs };
}

/** True when the stored checksum matches the plan's content. */
export function verifyPlanChecksum(plan: Plan): boolean {
  return plan.metadata.checksum === computePlanChecksum(plan);
}
