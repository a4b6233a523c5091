// The built CLI on intents full of YAML aliases. Resolving each alias used to
// search the document (O(n²)): 4,000 components sharing `<<: *defaults` and
// `subscribe: *s` took 90 s to plan, and a 700 kB intent of 200,000 aliases
// never finished instead of being refused for its unknown key. The kill timer
// only catches that hang; speed is measured by bench/compile.ts.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const COMPONENTS = 4_000;

function sharedAnchors(extra = ""): string {
  let body = `environments:\n  dev: {}\ncomponents:\n  - name: c0\n    type: svc\n    labels: &l {team: core}\n    parameters: &p {replicas: 2}\n    subscribe: &s\n      environments: [dev]\n${extra}`;
  for (let i = 1; i < COMPONENTS; i++) body += `  - {name: c${i}, type: svc, labels: *l, parameters: {<<: *p}, subscribe: *s}\n`;
  return body;
}

test("4,000 components sharing anchors (merge keys too) are planned", async () => {
  const dir = await writeRepo(baseRepo(sharedAnchors()));
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(plan.code, 0, plan.stderr);
  const jobs = (JSON.parse(plan.stdout) as { jobs: { id: string; labels?: Record<string, string>; steps: { id: string; run?: string }[] }[] }).jobs;
  assert.equal(jobs.length, COMPONENTS);
  const last = jobs.find((j) => j.id === `c${COMPONENTS - 1}@dev.deploy`)!;
  assert.deepEqual(last.labels, { team: "core" });
  assert.equal(last.steps.find((s) => s.id === "main-step")?.run, `echo deploy c${COMPONENTS - 1} to dev r=2`);
});

test("a 700 kB intent of 200,000 aliases gets its error, not a hang", async () => {
  const dir = await writeRepo(baseRepo(sharedAnchors(`    notes: [${Array(200_000).fill("*l").join(", ")}]\n`)));
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(plan.code, 1, plan.stdout + plan.stderr);
  assert.match(plan.stderr, /intent\.yaml:\d+: components\[0\]\.notes: unknown key "notes"/);
});
