// Review rev28c F2: a state.json job keyed `__proto__` is assigned into a plain `{}` by parseState, which sets the
// prototype of the parsed jobs map to that job instead of keeping it as a key: the entry vanishes from every listing
// and its fields answer lookups of other job IDs (`status`, `steps`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseState } from "../../src/runtime/records/state.js";

test("a state.json job keyed __proto__ stays a job of its own, not the prototype of the jobs map", () => {
  const text = '{"execId":"e","planChecksum":"x","jobs":{"__proto__":{"status":"completed","steps":{"s":"completed"}},"a@dev.b":{"status":"failed"}}}';
  const { jobs } = parseState(text, "/tmp/state.json");
  assert.equal(jobs.status, undefined, "no job is named status: nothing may answer for it");
  assert.equal("steps" in jobs, false);
  assert.deepEqual(Object.keys(jobs).sort(), ["__proto__", "a@dev.b"]);
});
