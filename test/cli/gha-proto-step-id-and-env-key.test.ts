// orun run --gha with `__proto__` as a step ID and as a job env key (rev15gha #8): user keys are data, never
// an object's prototype — the step's outputs reach later steps, the record and logs name the step, and the
// variable reaches the steps' env context and their processes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: __proto__ as a step ID and an env key", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("fixgha15-proto");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("outputs of step __proto__ reach later steps; the record and logs have the step; job env __proto__ reaches env and the process", async () => {
    const job = makeJob("app@dev.proto", [
      { id: "__proto__", run: 'echo "x=1" >> "$GITHUB_OUTPUT"; echo proto-step-ran' },
      { id: "read", run: 'echo "out=${{ steps.__proto__.outputs.x }} outcome=${{ steps.__proto__.outcome }} ctx=${{ env.__proto__ }} proc=$(printenv __proto__)"' },
    ] as Partial<PlanStep>[]);
    job.env = JSON.parse('{"__proto__":"penv"}') as Record<string, string>;
    // JSON text, not an object literal: `{ "__proto__": … }` in JS source would set a prototype, not a key.
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([job], "proto")));
    const r = await runOrun(["run", "plan.json", "--gha", "--exec-id", "proto"], { cwd: ws, env: ghaEnv(ws) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions/proto/state.json"), "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> };
    assert.deepEqual(Object.entries(state.jobs["app@dev.proto"]!.steps), [
      ["__proto__", "completed"],
      ["read", "completed"],
    ]);
    const logs = await runOrun(["logs", "--exec-id", "proto", "--job", "app@dev.proto"], { cwd: ws });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /out=1 outcome=success ctx=penv proc=penv/);
    assert.match(logs.stdout, /proto-step-ran/);
    assert.doesNotMatch(logs.stdout, /\[object Object\]/);
  });
});
