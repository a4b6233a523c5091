// Remote state against a v2 backend (40-remote-state.md: the protocol stays
// compatible with it), which has no promotion-gate evidence (/v1/evidence is
// its 404 "Not found"). Decision 8 lets a gated job run only on evidence the
// backend records, so against v2 a gated job is blocked — with a message that
// says why — and reported to the backend once, so its dependents are not left
// waiting. Ungated jobs of the same run are unaffected.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { killAllChildren, spawnOrun } from "./processes.js";
import { startV2Backend, type V2Backend } from "./v2-backend.js";

describe("promotion gates against a v2 backend", () => {
  let dir: string;
  let v2: V2Backend;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-v2-gates-"));
    v2 = await startV2Backend();
  });
  after(async () => {
    killAllChildren();
    await v2?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("blocks a gated job with a message naming the v2 backend, reports it once, and runs the rest", async () => {
    const job = (id: string, deps: string[], extra: Partial<PlanJob> = {}): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: deps, steps: [{ id: "main", phase: "main", run: `echo ran ${id}` }], ...extra };
    };
    const gate = { type: "environment-promotion" as const, environment: "staging", component: "web", condition: "success", match: { revision: "source" } };
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "promote", revision: "0123456789abcdef0123456789abcdef01234567" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [job("web@production.deploy", [], { gates: [gate] }), job("web@production.verify", ["web@production.deploy"]), job("api@production.deploy", [])],
    };
    const planFile = path.join(dir, "plan.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    // The answers to two updates are lost: the client repeats them, and v2 (not idempotent) refuses the repeats.
    v2.lose.add("POST v1/runs/promo-1/jobs/api@production.deploy/update");
    v2.lose.add("POST v1/runs/promo-1/jobs/web@production.deploy/update");
    const r = await spawnOrun(["run", planFile, "--remote-state", "--backend-url", v2.url, "--exec-id", "promo-1"], { cwd: dir, env: { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "" } }).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /✓ deploy/, "the ungated job runs");
    assert.match(r.output, /keeps no promotion-gate evidence \(GET \/v1\/evidence: Not found \(NOT_FOUND\); a v2 backend\?\), so jobs with a gate are blocked in this run/);
    assert.match(r.output, /promotion gate: web must have succeeded in staging/);
    assert.doesNotMatch(r.output, /Not found \(NOT_FOUND\)\n/, "the 404 does not end the run");
    assert.doesNotMatch(r.output, /not recorded|could not report/, "a repeated update that v2 refuses was recorded by its first attempt");
    const jobs = v2.runs.get("promo-1")!.jobs;
    assert.equal(jobs.get("web@production.deploy")?.status, "failed");
    assert.match(jobs.get("web@production.deploy")?.lastError ?? "", /^blocked: promotion gate/);
    assert.equal(jobs.get("api@production.deploy")?.status, "success");
    assert.equal(v2.requests.filter((q) => q === "POST v1/runs/promo-1/jobs/web@production.deploy/update").length, 2, "reported, and repeated once after the lost answer");
    assert.equal(v2.lose.size, 0, "both answers were lost");
  });
});
