// Newcomer audit (fuprun15): `orun logs` shows a job that failed before it printed anything by its recorded
// error (the run's hint sends users to `orun logs --job <id>`), and a job's steps in the order they ran, not
// alphabetically. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("a job that failed before its step printed anything shows its recorded error (plain, --follow; stderr under --raw)", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", path: "nowhere", steps: [{ id: "test", run: "echo never" }] },
    { id: "web@dev.build", steps: [{ id: "say", run: "echo web" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "f1"], { cwd: dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /orun logs --exec-id f1 --job api@dev\.build/);
  const error = `error: step test: working directory ${path.join(dir, "nowhere")} does not exist\n`;
  const job = await runOrun(["logs", "--job", "api@dev.build"], { cwd: dir });
  assert.equal(job.code, 0, job.stderr);
  assert.equal(job.stdout, `── api@dev.build › test  (failed, no output)\n${error}`);
  const all = await runOrun(["logs"], { cwd: dir });
  assert.equal(all.stdout, `── api@dev.build › test  (failed, no output)\n${error}── web@dev.build › say  (completed)\nweb\n`);
  assert.equal((await runOrun(["logs", "--failed"], { cwd: dir })).stdout, `── api@dev.build › test  (failed, no output)\n${error}`);
  // A step the job does not have is an error naming it (was "No logs match." and exit 0).
  const other = await runOrun(["logs", "--job", "api@dev.build", "--step", "other"], { cwd: dir });
  assert.equal(other.code, 1, other.stdout);
  assert.match(other.stderr, /step not found in execution f1 of api@dev\.build: other/);
  const follow = await runOrun(["logs", "--follow"], { cwd: dir });
  assert.equal(follow.stdout, `── api@dev.build › test  (failed, no output)\n${error}── web@dev.build › say  (completed)\nweb\n`);
  // --raw prints the logs' bytes only: the error goes to stderr.
  const raw = await runOrun(["logs", "--raw"], { cwd: dir });
  assert.equal(raw.stdout, "web\n");
  assert.equal(raw.stderr, `api@dev.build › test: ${error}`);
});

test("a job's logs come in the order its steps ran (phase, order, declaration), also without the record's plan", async (t) => {
  // Declared test, compile, report, inputs; run inputs (pre), compile (order 1), test (order 2), report (post).
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        // Each step's log appears (at its first output) a clock tick or more after the one before: file times
        // are only as fine as the kernel's tick, and without the plan they are the order there is.
        { id: "test", run: "sleep 0.05; echo test", order: 2 },
        { id: "compile", run: "sleep 0.05; echo compile", order: 1 },
        { id: "report", run: "sleep 0.05; echo report", phase: "post" },
        { id: "inputs", run: "sleep 0.05; echo inputs", phase: "pre" },
      ],
    },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "o1"], { cwd: dir })).code, 0);
  const ran = ["inputs", "compile", "test", "report"];
  const shown = (stdout: string): string[] => [...stdout.matchAll(/^── api@dev\.build › (\S+)/gm)].map((m) => m[1]!);
  assert.deepEqual(shown((await runOrun(["logs"], { cwd: dir })).stdout), ran);
  assert.deepEqual(shown((await runOrun(["logs", "--follow"], { cwd: dir })).stdout), ran);
  assert.equal((await runOrun(["logs", "--raw"], { cwd: dir })).stdout, ran.map((step) => `${step}\n`).join(""));
  // A record without its plan: the order the logs were written in.
  await rm(recordFile(dir, "o1", "manifest.json"));
  assert.deepEqual(shown((await runOrun(["logs"], { cwd: dir })).stdout), ran);
});

test("a job's error goes with the longest step key it names: `step a: b: …` is step `a: b`'s, not step `a`'s", async (t) => {
  // A step key may itself hold `: `; both `a` and `a: b` prefix the error, and neither step printed anything.
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "a", run: "true" }, { id: "a: b", run: "exit 3" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "k1"], { cwd: dir })).code, 1);
  const logs = await runOrun(["logs", "--exec-id", "k1"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^── api@dev\.build › a: b {2}\(failed, no output\)\nerror: step a: b: [^\n]*3[^\n]*\n$/, logs.stdout);
});

test("without the record's plan, steps that failed printing nothing (no log, so no time) are listed by name", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", steps: [{ id: "zeta", run: "exit 1", onFailure: "continue" }, { id: "alpha", run: "exit 2", onFailure: "continue" }] },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "n1"], { cwd: dir })).code, 1);
  await rm(recordFile(dir, "n1", "manifest.json"));
  // Whatever order the record lists them in (orun writes them sorted; another writer need not).
  const stateFile = recordFile(dir, "n1", "state.json");
  const state = JSON.parse(await readFile(stateFile, "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> };
  const job = state.jobs["api@dev.build"]!;
  job.steps = Object.fromEntries(Object.entries(job.steps).reverse());
  assert.deepEqual(Object.keys(job.steps), ["zeta", "alpha"]);
  await writeFile(stateFile, JSON.stringify(state));
  const shown = [...(await runOrun(["logs", "--exec-id", "n1"], { cwd: dir })).stdout.matchAll(/^── api@dev\.build › (\S+)/gm)].map((m) => m[1]!);
  assert.deepEqual(shown, ["alpha", "zeta"]);
});
