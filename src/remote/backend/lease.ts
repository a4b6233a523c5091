// Per-claim lease secrets. A claim that asks for one (ClaimRequest.claimKey) gets a random secret; the backend keeps
// only its SHA-256, and the holder's heartbeats, result, release and log writes must present it (LEASE_HEADER):
// runner IDs are shown by `orun status` and easy to guess, so they prove nothing on their own.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh lease secret: 32 random bytes, base64url. */
export function newLeaseSecret(): string {
  return randomBytes(32).toString("base64url");
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
