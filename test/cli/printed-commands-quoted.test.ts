// The commands a run's summary prints to be pasted, pasted through `sh` (dash here) as a reader would. A failed job's
// `logs  orun logs --exec-id … --job <id>` line put the job ID in unquoted (a `'` in it was a syntax error, a `$` or
// space changed it); a bidi control (U+202E) in a job ID reached the terminal raw in that line and, single-quoted, in
// the resume line, reordering what they showed; and after a job blocked for want of --approve, no printed line offered
// the command that approves it (the summary's labelled approve line does; the resume line never approves). Real runs of the built CLI on plan files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { approveLine, inShell, jobStatuses, resumeLine } from "../support/resume-hint.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };

/** The `logs  orun logs …` line of the `index`th failed job's result. */
function jobLogsLine(stdout: string, index: number): string {
  const lines = [...stdout.matchAll(/^ +logs {2}(orun logs .*)$/gm)].map((match) => match[1]!);
  assert.ok(lines[index], `no job logs line ${index} in:\n${stdout}`);
  return lines[index];
}

test("a failed job's logs line and the resume line quote a job ID with a quote, `$`, a space or a bidi control", async (t) => {
  const quoted = "app@dev.b$x y'z";
  const bidi = "app@dev.b\u202eevil";
  const dir = await planDir(t, [
    { id: quoted, steps: [{ id: "main", run: "echo out-quoted; exit 3" }] },
    { id: bidi, steps: [{ id: "main", run: "echo out-bidi >> ran-bidi; echo out-bidi; exit 3" }] },
  ], { name: "quoted" }, "orun-printed-quoted-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "Q"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  // Each job's logs line, pasted, prints that job's log (and only it).
  for (const [index, out, other] of [[0, "out-quoted", "out-bidi"], [1, "out-bidi", "out-quoted"]] as const) {
    const logs = await inShell(t, jobLogsLine(run.stdout, index), dir);
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.output, new RegExp(out));
    assert.doesNotMatch(logs.output, new RegExp(other));
  }
  assert.doesNotMatch(run.stdout, RAW, JSON.stringify(run.stdout));
  // The summary's status and logs lines read the execution.
  for (const word of ["status", "logs"]) {
    const line = new RegExp(`^ {2}${word} +(orun ${word} .*)$`, "m").exec(run.stdout)?.[1];
    assert.ok(line, run.stdout);
    assert.equal((await inShell(t, line, dir)).code, 0, line);
  }

  // A run of the bidi job alone: its resume line names it in printf's octal form, and pasted resumes that job.
  const one = await runOrun(["run", "plan.json", "--exec-id", "B", "--job", bidi], { cwd: dir, env });
  assert.equal(one.code, 1, one.stderr);
  assert.doesNotMatch(one.stdout, RAW, JSON.stringify(one.stdout));
  const resume = resumeLine(one.stdout);
  assert.ok(resume.includes(`--job "$(printf 'app@dev.b\\342\\200\\256evil')"`), resume);
  const pasted = await inShell(t, resume, dir);
  assert.equal(pasted.code, 1, pasted.output);
  assert.match(pasted.output, /Run: B\b/);
  // Three runs of the bidi job: Q's, B's and the pasted resume of B; the quoted job ran only in Q.
  assert.equal((await readFile(path.join(dir, "ran-bidi"), "utf8")).split("\n").filter(Boolean).length, 3);
  assert.deepEqual(await jobStatuses(dir, "B"), [`${bidi} failed`]);
});

test("a run that blocked a job for want of --approve: the resume line does not approve, the labelled approve line does; pasted, the job runs", async (t) => {
  const dir = await planDir(t, [
    { id: "app@dev.build", steps: [{ id: "main", run: "echo built" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "echo deployed > deployed" }] },
  ], { name: "approval" }, "orun-printed-approve-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "A"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /1 blocked/);
  assert.doesNotMatch(resumeLine(run.stdout), /--approve/);
  const offer = approveLine(run.stdout);
  assert.equal(offer.blocked, "app@prod.deploy");
  assert.match(offer.command, / --approve\b/);
  const pasted = await inShell(t, offer.command, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "deployed")), pasted.output);
  assert.deepEqual((await jobStatuses(dir, "A")).sort(), ["app@dev.build completed", "app@prod.deploy completed"]);

  // A run with no job blocked for approval does not gain it.
  const plain = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "exit 3" }] }], { name: "plain" }, "orun-printed-approve-");
  const failed = await runOrun(["run", "plan.json", "--exec-id", "P"], { cwd: plain, env });
  assert.equal(failed.code, 1, failed.stderr);
  assert.doesNotMatch(resumeLine(failed.stdout), /--approve/);
});
