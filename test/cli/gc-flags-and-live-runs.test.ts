// Records audit (round 2): orun gc through the built CLI — flags that name themselves when wrong (an empty
// --keep from an unset variable removed every record), and a live run is never removed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

const executions = async (dir: string): Promise<string[]> => (await readdir(path.join(dir, ".orun/executions")).catch(() => [])).filter((name) => name !== "latest").sort();

test("gc refuses a --keep or --keep-days that is empty or not a whole number, naming the flag, and removes nothing", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "true" }] }], { name: "gc" }, "orun-rec14-");
  for (const id of ["one", "two"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  for (const [flag, value] of [["--keep", ""], ["--keep", " "], ["--keep", "-1"], ["--keep", "1.5"], ["--keep", "abc"], ["--keep-days", ""]] as const) {
    const gc = await runOrun(["gc", flag, value], { cwd: dir });
    assert.equal(gc.code, 1, `${flag} "${value}": ${gc.stdout}`);
    assert.ok(gc.stderr.includes(`invalid number "${value}" for ${flag}`), gc.stderr);
  }
  assert.deepEqual(await executions(dir), ["one", "two"]);
  const both = await runOrun(["gc", "--keep", "5", "--all"], { cwd: dir });
  assert.equal(both.code, 1, both.stdout);
  assert.match(both.stderr, /--all removes every finished execution but the promotion-gate evidence \(--keep 0\), so --keep 5 would be ignored: give only one/);
  assert.deepEqual(await executions(dir), ["one", "two"]);
  const kept = await runOrun(["gc", "--keep", "1"], { cwd: dir });
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(await executions(dir), ["two"]);
});

test("gc refuses --evidence-revisions beside --drop-evidence or --actions, which would ignore it, and removes nothing", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "true" }] }], { name: "gc" }, "orun-gc-evidence-");
  for (const id of ["one", "two"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const dropped = await runOrun(["gc", "--all", "--drop-evidence", "--evidence-revisions", "3"], { cwd: dir });
  assert.equal(dropped.code, 1, dropped.stdout);
  assert.match(dropped.stderr, /--drop-evidence keeps no promotion-gate evidence, so --evidence-revisions 3 would be ignored: give only one/);
  const actions = await runOrun(["gc", "--actions", "--evidence-revisions", "3", "--dry-run"], { cwd: dir });
  assert.equal(actions.code, 1, actions.stdout);
  assert.match(actions.stderr, /--actions prunes only the action cache, and --evidence-revisions 3 is about execution records/);
  assert.deepEqual(await executions(dir), ["one", "two"]);
  // The two that agree are taken: --drop-evidence with --evidence-revisions 0.
  const agreed = await runOrun(["gc", "--all", "--drop-evidence", "--evidence-revisions", "0"], { cwd: dir });
  assert.equal(agreed.code, 0, agreed.stderr);
  assert.deepEqual(await executions(dir), []);
});

test("gc --all while a run is live keeps it (and its lock), and removes it once the run has ended", async (t) => {
  const release = "release";
  const dir = await planDir(t, [{ id: "app@dev.wait", steps: [{ run: `touch started; until [ -f ${release} ]; do sleep 0.02; done` }] }], { name: "gc" }, "orun-rec14-");
  t.after(() => writeFile(path.join(dir, release), "").catch(() => undefined));
  const running = runOrun(["run", "plan.json", "--exec-id", "live"], { cwd: dir });
  await until(() => existsSync(path.join(dir, "started")), "the run's step to start");
  for (const args of [["gc", "--all", "--dry-run"], ["gc", "--all"], ["gc", "--keep", "0", "--max-age", "0"]]) {
    const gc = await runOrun(args, { cwd: dir });
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, /kept live \(still running\)/, args.join(" "));
    assert.ok(existsSync(recordFile(dir, "live", ".lock")), "the run's lock is untouched");
  }
  await writeFile(path.join(dir, release), "");
  const run = await running;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const status = await runOrun(["status", "--exec-id", "live"], { cwd: dir });
  assert.match(status.stdout, /State: completed/);
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.match(gc.stdout, /Removed live/);
  assert.deepEqual(await executions(dir), []);
  assert.equal(existsSync(path.join(dir, ".orun/executions/latest")), false, "latest no longer points at a removed record");
});

test("gc --keep counts a record whose metadata startedAt does not parse as new: kept among the newest, not removed as old", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "true" }] }], { name: "gc" }, "orun-rec14-");
  for (const id of ["one", "two", "three"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  // A hand-damaged start time: it sorts before every ISO time, so the list puts it first (the newest).
  const metadata = recordFile(dir, "three", "metadata.json");
  await writeFile(metadata, JSON.stringify({ ...(await readJson<object>(metadata)), startedAt: "not a time" }));
  const preview = await runOrun(["gc", "--keep", "1", "--dry-run"], { cwd: dir });
  assert.equal(preview.code, 0, preview.stderr);
  assert.doesNotMatch(preview.stdout, /three/);
  const gc = await runOrun(["gc", "--keep", "1"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /Removed one/);
  assert.match(gc.stdout, /Removed two/);
  assert.deepEqual(await executions(dir), ["three"]);
});
