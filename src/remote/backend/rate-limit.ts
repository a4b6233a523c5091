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
    const bucket = this.refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterS: this.wait(bucket) };
  }

  /** The seconds to wait for a token, without spending one; undefined when one is left. */
  peek(key: string, now = (this.options.now ?? Date.now)()): number | undefined {
    const bucket = this.buckets.get(key);
    if (!bucket) return undefined;
    const tokens = this.tokensAt(bucket, now);
    return tokens >= 1 ? undefined : this.wait({ tokens });
  }

  /** How many keys have a bucket; a full bucket is as good as none (forget), so callers with many keys can drop those. */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops the buckets that have refilled: keyed by something callers choose (a client address), they would pile up. */
  forgetFull(now = (this.options.now ?? Date.now)()): void {
    for (const key of this.buckets.keys()) if (this.refill(key, now).tokens >= this.options.capacity) this.buckets.delete(key);
  }

  private refill(key: string, now: number): { tokens: number; at: number } {
    const bucket = this.buckets.get(key) ?? { tokens: this.options.capacity, at: now };
    bucket.tokens = this.tokensAt(bucket, now);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** The tokens `bucket` holds at `now`: refilled since it was last counted, never past the bucket's size. */
  private tokensAt(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.options.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.options.refillPerSecond);
  }

  private wait(bucket: { tokens: number }): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.options.refillPerSecond));
  }
}
