// A `--background` child refused before its run starts (here: a --job whose dependency is not done in the new record).
// Under --json the parent prints the refusal and exits 1, so a new record holding only that refusal is noise: it goes,
// and `latest` (which the start pointed at it) names the last run again — `orun status` shows that run, not the
// refusal. Before, the record stayed and status showed the error as the latest run. Without --json the parent said
// "started", so the record is the one place that shows the error: it stays, and status shows it. Under --json the
// child, told through the start-up pipe that the parent prints its refusal, writes no failure at all: it wrote failed
// metadata the parent then deleted, and a refused resume left background-error.json and a pid file naming the
// refused child. Real orun processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, watch } from "node:fs";
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { processGone, until } from "../support/wait.js";
import { makePlan, planDir, writePlan } from "../runtime/helpers.js";

const DEPENDENT = [
  { id: "a@dev.x", steps: [{ run: "true" }] },
  { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [{ run: "true" }] },
];
const executions = (dir: string): string => path.join(dir, ".orun", "executions");

test("run --background --json refused by its child: the new record that held only the refusal goes, latest names the last run again", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 0);

  const refused = await runOrun(["run", "plan.json", "--background", "--json", "--job", "b@dev.x"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match((JSON.parse(refused.stdout) as { error: { message: string } }).error.message, /^cannot run b@dev\.x: dependencies not completed \(a@dev\.x\)/);
  assert.deepEqual((await readdir(executions(dir))).sort(), ["first", "latest"]);
  assert.equal(await readlink(path.join(executions(dir), "latest")), "first");
  const status = await runOrun(["status"], { cwd: dir });
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /Run: first/);
  assert.doesNotMatch(status.stdout, /Error:/);
});

test("run --background --json refused in a folder with no records yet: no .orun/executions is left behind", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  const refused = await runOrun(["run", "plan.json", "--background", "--json", "--job", "b@dev.x", "--exec-id", "only"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.equal(existsSync(executions(dir)), false, "executions/ was left");
  // The exec-id is free again: the command the refusal names starts it afresh.
  const started = await runOrun(["run", "plan.json", "--job", "a@dev.x", "--exec-id", "only"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
});

test("run --background (no --json) refused by its child: the record is the one place the error shows, so it stays and status shows it", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 0);
  const started = await runOrun(["run", "plan.json", "--background", "--job", "b@dev.x", "--exec-id", "kept"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  assert.match(started.stdout, /background run started/);
  let shown = "";
  await until(async () => {
    shown = (await runOrun(["status"], { cwd: dir })).stdout;
    return /Error:/.test(shown);
  }, "status to show the child's refusal");
  assert.match(shown, /Run: kept .*State: failed/);
  assert.match(shown, /Error: cannot run b@dev\.x: dependencies not completed \(a@dev\.x\)/);
  assert.equal(await readlink(path.join(executions(dir), "latest")), "kept");
});

test("run --background --json refused by its child never writes the refusal into the new record (it was written, then deleted)", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 0);
  // Every file written under the records, as it happens: a failed metadata.json written and removed shows here.
  const written: string[] = [];
  const watcher = watch(executions(dir), { recursive: true }, (_event, name) => written.push(String(name)));
  t.after(() => watcher.close());
  const refused = await runOrun(["run", "plan.json", "--background", "--json", "--job", "b@dev.x", "--exec-id", "gone"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.deepEqual((await readdir(executions(dir))).sort(), ["first", "latest"]);
  assert.deepEqual(
    written.filter((name) => /^gone[/\\](metadata\.json|background-error\.json)/.test(name)),
    [],
    `the refused child wrote its failure: ${written.join(", ")}`,
  );
});

test("a refused --background --json resume leaves the execution as it was: no background-error.json, its run.log and pid file as before", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  const first = await runOrun(["run", "plan.json", "--background", "--exec-id", "part", "--job", "a@dev.x"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const record = path.join(executions(dir), "part");
  const pid = Number((await readFile(path.join(record, "pid"), "utf8")).trim());
  await until(() => processGone(pid), "the first background run to end");
  const snapshot = async (): Promise<Record<string, string>> => {
    const files: Record<string, string> = {};
    for (const name of (await readdir(record)).filter((entry) => entry !== "logs").sort()) {
      // The pid file's time too: `status` compares it with metadata.json's to tell a child still starting.
      const time = name === "pid" ? `${Math.round((await stat(path.join(record, name))).mtimeMs)} ` : "";
      files[name] = `${time}${await readFile(path.join(record, name), "utf8")}`;
    }
    return files;
  };
  const before = await snapshot();
  const statusBefore = await runOrun(["status", "--exec-id", "part"], { cwd: dir });

  // Another plan's execution: refused by the child, printed by the parent.
  await writePlan(dir, makePlan([{ id: "a@dev.x", steps: [{ run: "echo other" }] }]), "other.json");
  const refused = await runOrun(["run", "other.json", "--background", "--json", "--exec-id", "part"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match((JSON.parse(refused.stdout) as { error: { message: string } }).error.message, /execution part belongs to plan \w+, not \w+/);
  assert.deepEqual(await snapshot(), before);
  const statusAfter = await runOrun(["status", "--exec-id", "part"], { cwd: dir });
  assert.equal(statusAfter.stdout, statusBefore.stdout);
  assert.equal(statusAfter.code, statusBefore.code);
});

// The start generates the ID and pins it for its child, which took it for one the user gave: its hint named the
// dependency alone ("run it first"), and the command to run next was the user's own, which makes yet another ID.
// Like the foreground refusal, it must end with the job asked for, under the ID it names; followed, that works.
test("run --background --job X without --exec-id, refused: the hint runs the dependency, then X, under one ID", async (t) => {
  const dir = await planDir(t, DEPENDENT, {}, "orun-bg-refused-");
  const chained = /run it first, then this job, in a new execution: orun run \S*plan\.json --exec-id (\S+) --job a@dev\.x && orun run \S*plan\.json --exec-id \1 --job b@dev\.x\)?$/m;

  const refused = await runOrun(["run", "plan.json", "--background", "--json", "--job", "b@dev.x"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  const hint = (JSON.parse(refused.stdout) as { error: { hint?: string } }).error.hint ?? "";
  assert.match(hint, chained);

  // Without --json the record keeps the refusal: status shows the same hint, under the record's own ID.
  const started = await runOrun(["run", "plan.json", "--background", "--job", "b@dev.x"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const id = /exec-id: (\S+)/.exec(started.stdout)?.[1];
  assert.ok(id, started.stdout);
  let shown = "";
  await until(async () => {
    shown = (await runOrun(["status", "--exec-id", id], { cwd: dir })).stdout;
    return /Error:/.test(shown);
  }, "status to show the child's refusal");
  assert.equal(chained.exec(shown)?.[1], id, shown);

  // Followed as printed (the plan file named as the hint names it), it runs both jobs.
  for (const job of ["a@dev.x", "b@dev.x"]) {
    const ran = await runOrun(["run", "plan.json", "--exec-id", id, "--job", job], { cwd: dir });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  }
});
