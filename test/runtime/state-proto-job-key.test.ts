// (rev28c) a state.json job keyed `__proto__`, assigned into the parsed jobs map, became the map's prototype instead of
// a key: the entry vanished from every listing and its fields answered lookups of other job IDs (`status`, `steps`).
// No plan job is named so: the file is refused, naming it and the field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseState } from "../../src/runtime/records/state.js";

test("a state.json job keyed __proto__ is refused, naming the file and the field", () => {
  const text = '{"execId":"e","planChecksum":"x","jobs":{"__proto__":{"status":"completed","steps":{"s":"completed"}},"a@dev.b":{"status":"failed"}}}';
  assert.throws(() => parseState(text, "/tmp/state.json"), (err: Error) => {
    assert.match(err.message, /\/tmp\/state\.json/);
    assert.match(err.message, /jobs\.__proto__/);
    return true;
  });
});

test("a step keyed __proto__ stays a step of its own", () => {
  const text = '{"execId":"e","planChecksum":"x","jobs":{"a@dev.b":{"status":"failed","steps":{"__proto__":"completed","t":"failed"}}}}';
  const { jobs } = parseState(text, "/tmp/state.json");
  assert.deepEqual(Object.keys(jobs["a@dev.b"]!.steps).sort(), ["__proto__", "t"]);
});
