// Per-claim lease secrets. A claim that asks for one (ClaimRequest.claimKey) gets a secret derived from it; the backend keeps
// only its SHA-256, and the holder's heartbeats, result, release and log writes must present it (LEASE_HEADER):
// runner IDs are shown by `orun status` and easy to guess, so they prove nothing on their own.
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The lease secret a claim with `claimKey` (a random key its runner drew, never stored) gets: derived from the key, so
 * every copy of a claim its client sent again (the first answer lost or late) hands out the same secret, whichever
 * copy the backend decides last — a fresh random one per copy left the runner holding one the backend had replaced.
 */
export function leaseForClaim(claimKey: string, job: { namespace: string; runId: string; jobId: string }): string {
  // Bound to the job too: a key sent for another job or run (a runner's bug) does not give that job's secret.
  const hash = createHash("sha256").update("orun lease secret\0", "utf8");
  for (const part of [job.namespace, job.runId, job.jobId]) hash.update(`${part}\0`, "utf8");
  return hash.update(claimKey, "utf8").digest("base64url");
}

/** What the stores keep of a secret (or of a claim key): its SHA-256, hex. */
export function leaseHash(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Whether `presented` is the secret whose hash is `hash` (compared in constant time). */
export function leaseMatches(hash: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(leaseHash(presented), "hex");
  const b = Buffer.from(hash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
