import { test } from "node:test";
import assert from "node:assert/strict";
import { mapLimited } from "../../src/util/map-limited.js";

test("mapLimited keeps at most `limit` calls in flight and returns results in the items' order", async () => {
  let inFlight = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const work = mapLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight--;
    return n * 10;
  });
  // Open the calls one at a time, each only once the pool is full again (or the items ran out).
  for (let opened = 0; opened < 7; opened++) {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(inFlight <= 3);
    gates.shift()!();
  }
  assert.deepEqual(await work, [10, 20, 30, 40, 50, 60, 70]);
  assert.equal(most, 3);
});

test("mapLimited of no items is empty, and a rejection rejects the whole", async () => {
  assert.deepEqual(await mapLimited([], 4, async () => 1), []);
  await assert.rejects(mapLimited([1, 2], 2, async (n) => (n === 2 ? Promise.reject(new Error("boom")) : n)), /boom/);
});
