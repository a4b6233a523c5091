// The token bucket behind --rate-limit (per namespace) and --auth-failure-limit (per client address),
// src/remote/backend/rate-limit.ts, on a clock the test sets: bursts, refills capped at the bucket size, the
// Retry-After a refused request learns, peek at the boundary of one token, and full buckets forgotten.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RateLimiter } from "../../../src/remote/backend/rate-limit.js";

test("a burst of the bucket's size passes, the next waits whole seconds until a token is back", () => {
  const limiter = new RateLimiter({ capacity: 3, refillPerSecond: 0.5 });
  assert.deepEqual([0, 0, 0].map(() => limiter.take("ns", 1_000)), [
    { ok: true, remaining: 2 },
    { ok: true, remaining: 1 },
    { ok: true, remaining: 0 },
  ]);
  assert.deepEqual(limiter.take("ns", 1_000), { ok: false, retryAfterS: 2 });
  // Another key has its own bucket.
  assert.deepEqual(limiter.take("other", 1_000), { ok: true, remaining: 2 });
  assert.deepEqual(limiter.take("ns", 3_000), { ok: true, remaining: 0 }, "one token back after 2 s at 0.5 a second");
});

test("an idle bucket refills to its size, no more", () => {
  const limiter = new RateLimiter({ capacity: 2, refillPerSecond: 100 });
  limiter.take("ns", 0);
  limiter.take("ns", 0);
  // An hour idle at 100 a second would be 360,000 tokens uncapped.
  const after = [0, 0, 0].map(() => limiter.take("ns", 3_600_000).ok);
  assert.deepEqual(after, [true, true, false]);
});

test("peek spends nothing and says when a token is back; exactly one token left is no wait", () => {
  const limiter = new RateLimiter({ capacity: 2, refillPerSecond: 1 });
  assert.equal(limiter.peek("ns", 0), undefined, "no bucket yet");
  limiter.take("ns", 0);
  limiter.take("ns", 0);
  assert.equal(limiter.peek("ns", 0), 1);
  assert.equal(limiter.peek("ns", 500), 1, "half a token: rounded up to a whole second");
  assert.equal(limiter.peek("ns", 1_000), undefined, "exactly one token");
  assert.equal(limiter.peek("ns", 1_000), undefined, "peeking spent nothing");
  assert.deepEqual(limiter.take("ns", 1_000), { ok: true, remaining: 0 });
});

test("forgetFull drops refilled buckets only", () => {
  const limiter = new RateLimiter({ capacity: 2, refillPerSecond: 1 });
  limiter.take("a", 0);
  limiter.take("b", 0);
  limiter.take("b", 0);
  limiter.forgetFull(1_000);
  assert.equal(limiter.size, 1, "a refilled in 1 s, b has one of two");
  limiter.forgetFull(2_000);
  assert.equal(limiter.size, 0);
});
