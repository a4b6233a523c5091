// Spec 10 §5 conformance case 5, second half: `orun plan --changed --files apps/api-edge/src/index.ts` on the v2.3
// examples selects api-edge-worker alone (a source file deep under its folder), 3 jobs, in changed-only mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";
import type { Plan } from "../../src/model/plan.js";

test("case 5: a changed file under apps/api-edge/src plans api-edge-worker's 3 jobs and nothing else", async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), "orun-changed-app-"));
  t.after(() => rm(out, { recursive: true, force: true }));
  const file = path.join(out, "plan.json");
  const r = await runOrun(["plan", "--changed", "--files", "apps/api-edge/src/index.ts", "-o", file], { cwd: FIXTURES_DIR });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 component × 5 envs → 3 jobs/);
  assert.match(r.stdout, /components: api-edge-worker\n/);
  assert.match(r.stdout, /mode: changed-only/);
  const plan = JSON.parse(await readFile(file, "utf8")) as Plan;
  assert.deepEqual(plan.jobs.map((job) => job.id).sort(), ["api-edge-worker@dev.verify-deploy", "api-edge-worker@production.verify-deploy", "api-edge-worker@staging.verify-deploy"]);
});
