// Token bucket per namespace (40-remote-state.md §2.11), in memory per
// replica. A refused request learns when a token will be available
// (`Retry-After`, whole seconds, at least 1), which the client honours.

export interface RateLimitOptions {
  /** Bucket size (burst). */
  capacity: number;
  /** Tokens added per second (sustained rate). */
  refillPerSecond: number;
  /** Milliseconds since the epoch (default Date.now): a test sets its own, so refills follow it, not its machine's speed. */
  now?: () => number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { capacity: 200, refillPerSecond: 100 };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT) {}

  /** Spends one token; returns the seconds to wait when none is left. */
  take(key: string, now = (this.options.now ?? Date.now)()): { ok: true; remaining: number } | { ok: false; retryAfterS: number } {
    const { capacity, refillPerSecond } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerSecond)) };
  }
}
