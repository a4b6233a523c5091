// `orun plan -v dag` labelled each job with its profile's name (`verify` for api@dev.build in the platform example),
// and `orun run --job api@dev.verify` then said "job not found" with no did-you-mean (camp25 #5). Real CLI on a copy
// of the platform example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("the dag names each job as --job takes it, and --job with a name close to none suggests the jobs of that component and environment", async (t) => {
  const dir = await tempDir("orun-dag-labels-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const dag = await runOrun(["plan", "-v", "dag"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(dag.code, 0, dag.stderr);
  assert.match(dag.stdout, /├─ api\n│ {2}├─ dev \[package\.verify\]\n│ {2}│ {2}└─ build · 2m\n/);
  assert.match(dag.stdout, /│ {2}├─ production \[package\.release\]\n│ {2}│ {2}└─ build · 2m\n/);
  assert.doesNotMatch(dag.stdout, /─ (verify|release) ·/);
  // Every label shown is a job --job accepts.
  const labels = [...dag.stdout.matchAll(/^[│ ]+└─ (\w[\w-]*) · /gm)].map((match) => match[1]);
  assert.ok(labels.length > 0, dag.stdout);
  const jobs = await runOrun(["get", "jobs", "--all", "-o", "json"], { cwd: dir, env: LOCAL_ENV });
  const names = new Set((JSON.parse(jobs.stdout) as Array<{ id: string }>).map((job) => job.id.slice(job.id.lastIndexOf(".") + 1)));
  for (const label of labels) assert.ok(names.has(label!), `${label} is no job's name: ${[...names].join(", ")}`);

  const refused = await runOrun(["run", "--job", "api@dev.verify"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^✕ job not found: api@dev\.verify \(did you mean api@dev\.build\?\)/);
  const otherEnv = await runOrun(["run", "--job", "api@qa.verify"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(otherEnv.code, 1);
  assert.match(otherEnv.stderr, /^✕ job not found: api@qa\.verify \(did you mean api@dev\.build, api@production\.build, api@staging\.build\?\)/);
});
