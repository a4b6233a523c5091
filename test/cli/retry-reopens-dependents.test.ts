// Round 16 runtime audit: `--job X --retry` of a failed job whose dependents were skipped. Once X completes,
// the record no longer says its dependents were skipped because X failed (status showed "skipped · dependency
// X failed" beside a completed X, and counted them skipped): they wait for a resume, which runs them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, readLines, recordFile, type StateFile } from "../runtime/helpers.js";
import { copyExample } from "../support/examples.js";
import { GitRepo } from "../planner/changes/git-repo.js";

test("--job X --retry that completes X reopens the dependents an earlier run skipped for X; a resume runs them", async (t) => {
  const dir = await planDir(t, [
    { id: "app@dev.a", steps: [{ run: "echo a >> runs" }] },
    { id: "app@dev.b", dependsOn: ["app@dev.a"], steps: [{ run: "echo b >> runs; test -f fixed" }] },
    { id: "app@dev.c", dependsOn: ["app@dev.b"], steps: [{ run: "echo c >> runs" }] },
    { id: "app@dev.d", dependsOn: ["app@dev.c"], steps: [{ run: "echo d >> runs" }] },
    // Skipped for another reason: its other dependency still failed.
    { id: "app@dev.e", steps: [{ run: "echo e >> runs; test -f never" }] },
    { id: "app@dev.f", dependsOn: ["app@dev.b", "app@dev.e"], steps: [{ run: "echo f >> runs" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const state = (): Promise<StateFile> => readJson<StateFile>(recordFile(dir, "x", "state.json"));
  assert.equal((await state()).jobs["app@dev.c"]!.status, "skipped");

  // A failing retry leaves the skips as they are: their reason still holds.
  const again = await runOrun(["run", "plan.json", "--exec-id", "x", "--job", "app@dev.b", "--retry"], { cwd: dir });
  assert.equal(again.code, 1, again.stdout + again.stderr);
  assert.equal((await state()).jobs["app@dev.c"]!.status, "skipped");

  await writeFile(path.join(dir, "fixed"), "");
  const retried = await runOrun(["run", "plan.json", "--exec-id", "x", "--job", "app@dev.b", "--retry"], { cwd: dir });
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  const after = await state();
  assert.equal(after.jobs["app@dev.b"]!.status, "completed");
  for (const job of ["app@dev.c", "app@dev.d"]) {
    assert.equal(after.jobs[job]!.status, "pending", job);
    assert.match(String((after.jobs[job] as { reason?: string }).reason), /resume with orun run --exec-id x/, job);
  }
  assert.match(String((after.jobs["app@dev.c"] as { reason?: string }).reason), /dependency app@dev\.b has completed/);
  assert.equal(after.jobs["app@dev.f"]!.status, "skipped", "f still has a failed dependency (e)");
  assert.equal((after.jobs["app@dev.f"] as { reason?: string }).reason, "dependency app@dev.e failed", "named by the dependency still failed");
  const meta = await readJson<{ jobSkipped: number }>(recordFile(dir, "x", "metadata.json"));
  assert.equal(meta.jobSkipped, 1, "only f is still skipped");
  const status = await runOrun(["status", "--exec-id", "x"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.doesNotMatch(status.stdout, /dependency app@dev\.b failed/, status.stdout);

  const resumed = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir });
  assert.equal(resumed.code, 1, "e still fails");
  assert.deepEqual(await readLines(path.join(dir, "runs")), ["a", "b", "e", "b", "b", "c", "d", "e"]);
  const final = await state();
  assert.equal(final.jobs["app@dev.c"]!.status, "completed");
  assert.equal(final.jobs["app@dev.d"]!.status, "completed");
});

test("a job reopened by --job X --retry of a --trigger plan names the plan by its stored ID, as the summary's resume does; pasted, it runs", async (t) => {
  const repo = GitRepo.create();
  t.after(() => repo.remove());
  const dir = repo.dir;
  await copyExample("release-flow", dir);
  // api fails while the file `broken` is there.
  const compositions = path.join(dir, "compositions/compositions/app/compositions.yaml");
  const yaml = await readFile(compositions, "utf8");
  await writeFile(compositions, yaml.replace(/^(\s*)run: (.*)$/m, `$1run: $2; if [ -f '${path.join(dir, "broken")}' ]; then exit 3; fi`));
  await writeFile(path.join(dir, ".gitignore"), ".orun/\nbroken\n");
  repo.commit("app");
  await writeFile(path.join(dir, "broken"), "");
  assert.equal((await runOrun(["run", "--trigger", "push-main", "--exec-id", "m2"], { cwd: dir })).code, 1);
  await rm(path.join(dir, "broken"));
  const retried = await runOrun(["run", "--trigger", "push-main", "--exec-id", "m2", "--job", "api@staging.deploy", "--retry"], { cwd: dir });
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  const resume = /^ {2}resume {2}(orun run [0-9a-f]{12} --exec-id m2)$/m.exec(retried.stdout)?.[1];
  assert.ok(resume, retried.stdout);
  const status = await runOrun(["status", "--exec-id", "m2"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.ok(status.stdout.includes(`skipped earlier; dependency api@staging.deploy has completed since: resume with ${resume} to run it`), status.stdout);
  const pasted = await runOrun(resume.split(" ").slice(1), { cwd: dir });
  assert.equal(pasted.code, 0, pasted.stdout + pasted.stderr);
  assert.equal((await readJson<StateFile>(recordFile(dir, "m2", "state.json"))).jobs["web@staging.deploy"]!.status, "completed");
});
