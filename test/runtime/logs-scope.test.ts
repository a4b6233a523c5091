// What `orun logs` says when nothing matches or nothing ran (src/runtime/logs-scope.ts), below the CLI: long lists
// are cut with a count, names from the record are escaped, and "no step ran" only when no job started.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkScope, noLogsMatchText, noStepRanText, nothingFailedText } from "../../src/runtime/logs-scope.js";
import { OrunError } from "../../src/util/errors.js";

type State = Parameters<typeof noStepRanText>[0];
const exact = { job: (id: string, wanted: string) => id === wanted, step: (keys: readonly string[], wanted: string) => keys.includes(wanted) };

test("an unknown --job lists at most 8 of the execution's jobs, then how many there are", () => {
  const jobs = Array.from({ length: 10 }, (_, i) => ({ id: `svc${i}@dev.build` }));
  assert.throws(
    () => checkScope(jobs, { job: "zzzzzzzz" }, "execution e1", exact),
    (err: OrunError) => {
      assert.ok(err.message.startsWith("job not found in execution e1: zzzzzzzz"), err.message);
      assert.equal(err.hint, `its jobs: ${jobs.slice(0, 8).map((job) => job.id).join(", ")}, … (10 in all)`);
      return true;
    },
  );
});

test("No logs match names each job's recorded status with control characters escaped", () => {
  const text = noLogsMatchText({ jobs: [{ id: "api@dev.build", status: "skipped", reason: "needs \u001b[31mred" }] }, { job: "api" });
  assert.equal(text, "No logs match (api@dev.build: skipped, needs \\u{1b}[31mred).\n");
});

test("no step ran: at most 5 jobs listed, then a count; nothing said once a job started", () => {
  const jobs = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`j${i}@dev.build`, { status: i === 0 ? "blocked" : "skipped", steps: {} }]));
  const text = noStepRanText({ jobs } as unknown as State, "e1") ?? "";
  assert.match(text, /^No logs for this run: no step ran\.\n {2}j0@dev\.build {2}blocked\n/);
  assert.equal(text.split("\n").filter((line) => line.startsWith("  j")).length, 5);
  assert.match(text, /\n {2}… 2 more \(orun status --exec-id e1\)\n$/);
  const started = { jobs: { ...jobs, "j0@dev.build": { status: "skipped", startedAt: "2026-01-01T00:00:00Z", steps: {} } } };
  assert.equal(noStepRanText(started as unknown as State, "e1"), undefined, "a job that started (then skipped by a cancel) ran");
});

test("--step is checked only when every job selected tells its steps: a job that does not (an older record's) may have it", () => {
  // A record of jobs from two orun versions: one lists its steps, the other does not.
  const jobs = [{ id: "api@dev.build", steps: ["compile"] }, { id: "web@dev.build" }];
  const scope = checkScope(jobs, { step: "deploy" }, "execution e1", exact);
  assert.deepEqual(scope.jobs.map((job) => job.id), ["api@dev.build", "web@dev.build"]);
  assert.throws(() => checkScope(jobs.slice(0, 1), { step: "deploy" }, "execution e1", exact), /step not found in execution e1: deploy/);
});

test("--failed with nothing failed names the execution; a job failed in set-up, no step failed, is something failed", () => {
  const record = (jobs: Record<string, unknown>) => ({ execId: "e1", planChecksum: "sha256-x", jobs }) as unknown as State;
  assert.equal(nothingFailedText(record({ "a@dev.b": { status: "completed", steps: { s: "completed" } } }), "e\u001b1"), "No logs match: no job failed in execution e\\u{1b}1.\n");
  // Its image could not be pulled, its working directory was missing: the job failed before any step did.
  assert.equal(nothingFailedText(record({ "a@dev.b": { status: "failed", steps: {} } }), "e1"), undefined);
  assert.equal(nothingFailedText(record({ "a@dev.b": { status: "completed", steps: { s: "failed" } } }), "e1"), undefined, "a step failed under onFailure: continue");
});
