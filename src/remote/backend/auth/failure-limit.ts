// Failed authentications per client address (`serve --auth-failure-limit`): a token bucket each 401 spends.
// An address with none left is answered 429 before its credentials are checked, so a flood of guessed
// tokens costs no token lookup or signature check — unless the request carries a token this replica has
// accepted recently: runners behind one NAT address (or one reverse proxy) that authenticated before keep
// working while something at that address sends bad tokens. A new token from such an address waits (its
// client retries 429s) until the address's failures have drained.
import { createHash } from "node:crypto";
import { RateLimiter, type RateLimitOptions } from "../rate-limit.js";

/** How long an accepted token lets its bearer past a limited address: longer than any OIDC token lives. */
const ACCEPTED_FOR_MS = 2 * 3600_000;

/** Past this many addresses or accepted tokens, the stale ones are dropped (memory stays bounded). */
const MAX_ENTRIES = 10_000;

export class AuthFailureLimiter {
  private readonly failures: RateLimiter;
  /** Hash of an Authorization header that authenticated → when that stops counting. */
  private readonly accepted = new Map<string, number>();

  constructor(private readonly options: RateLimitOptions) {
    this.failures = new RateLimiter(options);
  }

  /** Seconds the request must wait before its credentials are checked; undefined to check them now. */
  refusal(address: string, authorization: string | undefined): number | undefined {
    const wait = this.failures.peek(address);
    if (wait === undefined) return undefined;
    const until = authorization === undefined ? undefined : this.accepted.get(digest(authorization));
    return until !== undefined && until > this.now() ? undefined : wait;
  }

  failed(address: string): void {
    if (this.failures.size >= MAX_ENTRIES) this.failures.forgetFull();
    this.failures.take(address);
  }

  succeeded(authorization: string | undefined): void {
    if (authorization === undefined) return;
    const key = digest(authorization);
    // Re-inserted, so the map stays in order of last use and the first entry is the one to drop.
    this.accepted.delete(key);
    if (this.accepted.size >= MAX_ENTRIES) this.accepted.delete(this.accepted.keys().next().value as string);
    this.accepted.set(key, this.now() + ACCEPTED_FOR_MS);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function digest(authorization: string): string {
  return createHash("sha256").update(authorization).digest("base64");
}
