// The resume line repeats how the run went on: --no-fail-fast / --fail-fast and --concurrency. It dropped them
// (camp25 #4), so pasted it ran the rest under the plan's fail-fast and skipped jobs the run had run. Real orun
// processes, records and `sh`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { inShell, resumeLine } from "../support/resume-hint.js";

/** Two independent jobs that each note a run in <name>.count and fail. */
const FAILING = ["a", "b"].map((name) => ({ id: `${name}@dev.check`, steps: [{ run: `echo ran >> ${name}.count; exit 3` }] }));

/** How many times the jobs ran, all told. */
async function runs(dir: string): Promise<number> {
  let total = 0;
  for (const name of ["a", "b"]) total += (await readFile(path.join(dir, `${name}.count`), "utf8").catch(() => "")).split("\n").filter(Boolean).length;
  return total;
}

test("a run given --no-fail-fast and --concurrency: its resume line repeats them, and pasted through sh runs every job again", async (t) => {
  const dir = await planDir(t, FAILING, { failFast: true, concurrency: 4 });
  const first = await runOrun(["run", "plan.json", "--exec-id", "nff", "--no-fail-fast", "--concurrency", "1"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal(await runs(dir), 2, "--no-fail-fast: both jobs ran");
  const line = resumeLine(first.stdout);
  assert.equal(line, `orun run --exec-id nff --concurrency 1 --no-fail-fast`);
  const resumed = await inShell(t, line, dir);
  assert.equal(resumed.code, 1, resumed.output);
  assert.match(resumed.output, /Scope: 2 components · 2 jobs · sequential · local\n/);
  // Under the plan's fail-fast (the line without the flag) the first failure skipped the other job: 3.
  assert.equal(await runs(dir), 4, resumed.output);
});

test("a run given --fail-fast over a plan without it: its resume line repeats it, and pasted through sh stops at the first failure", async (t) => {
  const dir = await planDir(t, FAILING, { failFast: false, concurrency: 1 });
  const first = await runOrun(["run", "plan.json", "--exec-id", "ff", "--fail-fast"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal(await runs(dir), 1, "--fail-fast: the second job was skipped");
  const line = resumeLine(first.stdout);
  assert.equal(line, `orun run --exec-id ff --fail-fast`);
  const resumed = await inShell(t, line, dir);
  assert.equal(resumed.code, 1, resumed.output);
  assert.equal(await runs(dir), 2, resumed.output);
});

test("a run given neither: its resume line adds neither (the plan's settings apply, as they did)", async (t) => {
  const dir = await planDir(t, FAILING, { failFast: false, concurrency: 1 });
  const first = await runOrun(["run", "plan.json", "--exec-id", "plain", "--verbose"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal(resumeLine(first.stdout), `orun run --exec-id plain`);
});
