// Run scopes: --component X brings X's dependencies along (decision 5); jobs whose dependencies still lie
// outside the run (an --env scope) wait instead of failing the run (decision 6: non-zero exit when a job
// failed). Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, type JobSpec, planDir, recordFile } from "../runtime/helpers.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-audit-rt-");

const record = recordFile;

test("--component X runs X's jobs and those of every component X depends on, transitively (decision 5)", async (t) => {
  const dir = await setup(
    t,
    [
      { id: "lib@dev.build", steps: [{ run: "echo lib >> runs" }] },
      { id: "site@dev.build", steps: [{ run: "echo site >> runs" }] },
      { id: "api@dev.build", dependsOn: ["lib@dev.build"], steps: [{ run: "echo api >> runs" }] },
      // Environment barrier: api's next environment waits for every dev job, site included.
      { id: "api@prod.build", dependsOn: ["api@dev.build", "site@dev.build"], steps: [{ run: "echo api-prod >> runs" }] },
      { id: "api@prod.smoke", dependsOn: ["api@prod.build"], steps: [{ run: "echo smoke >> runs" }] },
      { id: "web@dev.build", dependsOn: ["api@dev.build"], steps: [{ run: "echo web >> runs" }] },
    ],
    { concurrency: 2 },
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "deps", "--component", "api"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /context: --component api \(\+ 2 dependencies: lib, site\)/);
  assert.match(run.stdout, /5 succeeded/);
  assert.doesNotMatch(run.stdout, /waiting/);
  // Dependencies, not dependents: web (which needs api) is not part of the run.
  assert.deepEqual((await readFile(path.join(dir, "runs"), "utf8")).split("\n").filter(Boolean).sort(), ["api", "api-prod", "lib", "site", "smoke"]);

  // A component that depends on nothing brings nothing along, and says nothing about it; --json stays quiet too.
  await writeFile(path.join(dir, "runs"), "");
  const lib = await runOrun(["run", "plan.json", "--component", "lib", "--json"], { cwd: dir });
  assert.equal(lib.code, 0, lib.stdout + lib.stderr);
  assert.doesNotMatch(lib.stderr, /context:/);
  assert.deepEqual((await readFile(path.join(dir, "runs"), "utf8")).split("\n").filter(Boolean), ["lib"]);
  const web = await runOrun(["run", "plan.json", "--component", "web", "--json"], { cwd: dir });
  assert.equal(web.code, 0, web.stdout + web.stderr);
  assert.doesNotMatch(web.stderr, /context:/);
  // Jobs, not whole components: web@dev.build needs api@dev.build (and so lib), never api's production jobs.
  assert.deepEqual(((JSON.parse(web.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id)).sort(), ["api@dev.build", "lib@dev.build", "web@dev.build"]);

  // --env still bounds the run: a dependency in another environment is not run but waited for.
  const prod = await runOrun(["run", "plan.json", "--component", "api", "--env", "prod", "--json"], { cwd: dir });
  assert.equal(prod.code, 0, prod.stdout + prod.stderr);
  const prodJobs = (JSON.parse(prod.stdout) as { jobs: { id: string; status: string }[] }).jobs;
  assert.deepEqual(prodJobs.map((job) => [job.id, job.status]).sort(), [
    ["api@prod.build", "waiting"],
    ["api@prod.smoke", "waiting"],
  ]);
});

test("jobs whose dependencies are outside the run (an --env scope) wait: the run succeeds when nothing failed", async (t) => {
  const dir = await setup(
    t,
    [
      { id: "lib@dev.build", steps: [{ run: "echo lib >> runs" }] },
      { id: "site@dev.build", steps: [{ run: "echo site >> runs" }] },
      { id: "api@dev.build", dependsOn: ["lib@dev.build"], steps: [{ run: "echo api >> runs" }] },
      { id: "api@prod.build", dependsOn: ["api@dev.build", "site@dev.build"], steps: [{ run: "echo api-prod >> runs" }] },
      { id: "api@prod.smoke", dependsOn: ["api@prod.build"], steps: [{ run: "echo smoke >> runs" }] },
      { id: "lib@prod.build", steps: [{ run: "echo lib-prod >> runs" }] },
    ],
    { concurrency: 2 },
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "scoped", "--env", "prod", "--json"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const summary = JSON.parse(run.stdout) as { status: string; counts: Record<string, number>; jobs: { id: string; status: string; reason?: string }[] };
  assert.equal(summary.status, "completed");
  assert.equal(summary.counts.succeeded, 1);
  assert.equal(summary.counts.waiting, 2);
  assert.equal(summary.counts.failed, 0);
  assert.equal(summary.counts.skipped, 0);
  const waiting = summary.jobs.filter((job) => job.status === "waiting").map((job) => job.id);
  assert.deepEqual(waiting.sort(), ["api@prod.build", "api@prod.smoke"]);
  assert.match(summary.jobs.find((job) => job.id === "api@prod.build")!.reason ?? "", /@dev\.build/);
  assert.deepEqual((await readFile(path.join(dir, "runs"), "utf8")).split("\n").filter(Boolean), ["lib-prod"]);
  // The run did what it was asked; the execution still has the waiting jobs to run (docs/running.md).
  const meta = await readJson<{ status: string }>(record(dir, "scoped", "metadata.json"));
  assert.equal(meta.status, "incomplete");

  const text = await runOrun(["run", "plan.json", "--exec-id", "scoped-text", "--env", "prod"], { cwd: dir });
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /✓ Done in/);
  assert.match(text.stdout, /1 succeeded · 2 waiting/);
  assert.match(text.stdout, /api·prod\/build {2}waiting · dependency (api|site)@dev\.build is not part of this run/);

  // Resuming the same execution with the whole plan runs what waited, and only that.
  await writeFile(path.join(dir, "runs"), "");
  const all = await runOrun(["run", "plan.json", "--exec-id", "scoped"], { cwd: dir });
  assert.equal(all.code, 0, all.stdout + all.stderr);
  assert.deepEqual((await readFile(path.join(dir, "runs"), "utf8")).split("\n").filter(Boolean).sort(), ["api", "api-prod", "lib", "site", "smoke"]);

  // A real failure still fails the run, waiting jobs or not.
  const failing = await setup(t, [
    { id: "lib@prod.build", steps: [{ run: "exit 1" }] },
    { id: "api@prod.lint", steps: [{ run: "true" }] },
    { id: "api@prod.build", dependsOn: ["web@dev.build"], steps: [{ run: "true" }] },
    { id: "web@dev.build", steps: [{ run: "true" }] },
  ]);
  const failed = await runOrun(["run", "plan.json", "--env", "prod"], { cwd: failing });
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /1 succeeded · 1 failed · 1 waiting/);
});

test("orun status of a run with waiting jobs says waiting, with the reason", async (t) => {
  const dir = await setup(t, [
    { id: "api@prod.lint", steps: [{ run: "true" }] },
    { id: "api@prod.build", dependsOn: ["web@dev.build"], steps: [{ run: "true" }] },
    { id: "web@dev.build", steps: [{ run: "true" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "w", "--env", "prod"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const status = await runOrun(["status", "--exec-id", "w"], { cwd: dir });
  assert.match(status.stdout, /State: incomplete/);
  assert.match(status.stdout, /○ 1 waiting/);
  assert.match(status.stdout, /○ build {2}waiting · dependency web@dev\.build is not part of this run/);
});

test("dry-run says which selected jobs would wait on a dependency outside the run", async (t) => {
  const dir = await setup(t, [
    { id: "api@dev.build", steps: [{ run: "true" }] },
    { id: "api@prod.build", dependsOn: ["web@dev.build"], steps: [{ run: "true" }] },
    { id: "web@dev.build", steps: [{ run: "true" }] },
  ]);
  const preview = await runOrun(["run", "plan.json", "--dry-run", "--env", "prod"], { cwd: dir });
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  assert.match(preview.stdout, /api@prod\.build[\s\S]*note +waits unless web@dev\.build completed earlier in the execution \(not part of this run\)/);
  const all = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
  assert.doesNotMatch(all.stdout, /waits unless/);
});

test("a dependency outside the run that FAILED in this execution skips its dependents and fails the run (it is not 'waiting')", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "exit 1" }] },
    { id: "b@prod.two", dependsOn: ["a@dev.one"], steps: [{ run: "echo two >> runs" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "y"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  // Production alone after a failed dev: nothing may go green.
  const prod = await runOrun(["run", "plan.json", "--exec-id", "y", "--env", "prod", "--json"], { cwd: dir });
  assert.equal(prod.code, 1, prod.stdout + prod.stderr);
  const summary = JSON.parse(prod.stdout) as { status: string; counts: Record<string, number>; jobs: { id: string; status: string; reason?: string }[] };
  assert.equal(summary.counts.waiting, 0);
  const two = summary.jobs.find((job) => job.id === "b@prod.two")!;
  assert.equal(two.status, "skipped");
  assert.equal(two.reason, "dependency a@dev.one failed in execution y");
  assert.equal((await readJson<{ status: string }>(record(dir, "y", "metadata.json"))).status, "failed");
  await assert.rejects(readFile(path.join(dir, "runs"), "utf8"), { code: "ENOENT" });
});

test("a job waiting on a dependency outside the run is skipped when a dependency inside the run fails", async (t) => {
  const dir = await setup(t, [
    { id: "api@prod.check", steps: [{ run: "exit 1" }] },
    { id: "api@prod.build", dependsOn: ["api@prod.check", "web@dev.build"], steps: [{ run: "true" }] },
    { id: "web@dev.build", steps: [{ run: "true" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--env", "prod", "--json"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const summary = JSON.parse(run.stdout) as { counts: Record<string, number>; jobs: { id: string; status: string; reason?: string }[] };
  assert.deepEqual(summary.jobs.map((job) => [job.id, job.status, job.reason ?? ""]).sort(), [
    ["api@prod.build", "skipped", "dependency api@prod.check failed"],
    ["api@prod.check", "failed", ""],
  ]);
  assert.equal(summary.counts.waiting, 0);
});
