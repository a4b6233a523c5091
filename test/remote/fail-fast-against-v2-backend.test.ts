// Fail-fast against a v2 backend, which has no cross-runner fail-fast (its
// create answer does not confirm it): a runner of a failFast plan says at
// the start that it cannot confirm the run stops across runners, and that if
// not, a failure stops only that runner — other runners of the run keep
// starting jobs — instead of leaving users to expect the run to stop. (An orun
// backend from before failFast was answered does stop it: hence no "does not".)
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { killAllChildren, spawnOrun } from "./processes.js";
import { startV2Backend, type V2Backend } from "./v2-backend.js";

describe("fail-fast against a v2 backend", () => {
  let dir: string;
  let v2: V2Backend;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-v2-ff-"));
    v2 = await startV2Backend();
  });
  after(async () => {
    killAllChildren();
    await v2?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a runner of a failFast plan says a failure stops only itself", async () => {
    const job = (id: string, run: string): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: [], steps: [{ id: "main", phase: "main", run }] };
    };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "ff" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs: [job("a@dev.x", "exit 3"), job("b@dev.x", "echo b-ran")] };
    const planFile = path.join(dir, "plan.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const r = await spawnOrun(["run", planFile, "--remote-state", "--backend-url", v2.url, "--exec-id", "ff-v2"], { cwd: dir, env: { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "" } }).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /! fail-fast: the backend at http:\/\/127\.0\.0\.1:\d+ cannot confirm that it stops remote run ff-v2 across runners \(a v2 backend does not, an orun backend from before it said so does\); if it does not, a job failing on this runner stops only this runner, and the run's other runners keep starting jobs/);
    assert.doesNotMatch(r.output, /b-ran/, "this runner itself stops (failFast)");
    assert.equal(v2.runs.get("ff-v2")?.jobs.get("b@dev.x")?.status, "pending", "b is left for the run's other runners");
  });
});
