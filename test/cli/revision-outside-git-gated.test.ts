// A plan compiled outside any git repository records no source revision, so its promotion gates block, with
// "(… as warned)" — but nothing had warned: outside a repository the planner said nothing. A plan with gates
// now warns, in plan and in the run that compiles one; a plan without gates loses nothing and stays quiet.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const GATED = `environments:
  dev:
    selectors: { components: ["*"] }
  prod:
    selectors: { components: ["*"] }
    promotion:
      dependsOn:
        - environment: dev
components:
  - name: api
    type: svc
`;

const WARNING =
  "⚠ warning: the intent's folder is not in a git repository, so the plan records no source revision: its promotion gates block and its runs record no promotion evidence; plan in a git repository, with the code committed\n";

test("outside git, a plan with promotion gates warns that it records no revision; the gate's 'as warned' then holds", async () => {
  const dir = await writeRepo(baseRepo(GATED));
  // prod's gate on dev is in a plan without dev (with dev, promotion is an edge between the two jobs).
  const plan = await runOrun(["plan", "-e", "prod", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  const compiled = JSON.parse(plan.stdout) as Plan;
  assert.equal(compiled.metadata.revision, undefined);
  assert.equal(compiled.jobs[0]!.gates?.length, 1);
  assert.ok(plan.stderr.includes(WARNING), plan.stderr);

  const run = await runOrun(["run", "-e", "prod", "--exec-id", "g1"], { cwd: dir });
  assert.ok(run.stderr.includes(WARNING), run.stderr);
  assert.match(`${run.stdout}${run.stderr}`, /api·prod\/deploy\s+blocked · promotion gate: .*as warned/);
});

test("outside git, a plan without promotion gates says nothing about revisions", async () => {
  const dir = await writeRepo(baseRepo(GATED));
  // Both environments: prod's promotion is an edge to dev's job, not a gate.
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(!plan.stderr.includes("revision"), plan.stderr);
  const jobs = (JSON.parse(plan.stdout) as Plan).jobs;
  assert.deepEqual(jobs.map((job) => job.gates?.length ?? 0), [0, 0]);
});
