// Inside a component folder, `orun run` takes the component's jobs and every job they wait for. In
// examples/platform production is promoted from staging through an environment barrier, so
// shared-lib@production.build waits for every component's staging job: run from libs/shared, api's, site's and
// worker's jobs come along although shared-lib depends on no component. The scope banner names them (it said
// "auto-scoped to component shared-lib" and then ran 8 jobs of 4 components), and `orun get jobs` there lists the
// jobs the run takes (it listed shared-lib's 3).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { copyExample } from "../support/examples.js";

test("a component folder's scope banner and get jobs name the jobs orun run takes there, barrier dependencies included", async (t) => {
  const dir = await tempDir("orun-folder-scope-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const lib = path.join(dir, "libs/shared");

  const preview = await runOrun(["run", "--dry-run"], { cwd: lib });
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  assert.match(preview.stderr, /^context: auto-scoped to component shared-lib \(\+ 3 dependencies: api, site, worker\)\nhint: pass --all to include all components\n/);
  assert.match(preview.stdout, /Preview ready: 8 jobs selected/);

  const previewJson = await runOrun(["run", "--dry-run", "--json"], { cwd: lib });
  assert.equal(previewJson.code, 0, previewJson.stderr);
  const taken = (JSON.parse(previewJson.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id).sort();
  assert.equal(taken.length, 8);

  assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
  const listed = await runOrun(["get", "jobs", "-o", "json"], { cwd: lib });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { id: string }[]).map((job) => job.id).sort(), taken);
  const text = await runOrun(["get", "jobs"], { cwd: lib });
  assert.match(text.stderr, /^context: auto-scoped to component shared-lib \(\+ 3 dependencies: api, site, worker\)\n/);
});
