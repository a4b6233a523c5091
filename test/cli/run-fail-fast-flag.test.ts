// --fail-fast / --no-fail-fast override the plan's execution.failFast for one run (the plan, and its checksum,
// stay as compiled). Real processes; which jobs ran is read from files the steps write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const ran = async (dir: string): Promise<string[]> =>
  (await readFile(path.join(dir, "ran"), "utf8").catch(() => "")).split("\n").filter(Boolean).sort();

test("--no-fail-fast runs every job that does not depend on a failure; --fail-fast stops starting jobs", async (t) => {
  // Sequential, so with failFast nothing after the failing job starts: b and c come after a in the order.
  const jobs = [
    { id: "a@dev.fails", steps: [{ run: "echo a >> ran; exit 3" }] },
    { id: "b@dev.after", dependsOn: ["a@dev.fails"], steps: [{ run: "echo b >> ran" }] },
    { id: "c@dev.free", steps: [{ run: "echo c >> ran" }] },
  ];
  const failFastPlan = await planDir(t, jobs, { concurrency: 1, failFast: true }, "orun-ff-");
  const keepGoing = await runOrun(["run", "plan.json", "--no-fail-fast", "--json"], { cwd: failFastPlan });
  assert.equal(keepGoing.code, 1, keepGoing.stdout + keepGoing.stderr);
  assert.deepEqual(await ran(failFastPlan), ["a", "c"]);
  const summary = JSON.parse(keepGoing.stdout) as { jobs: { id: string; status: string }[] };
  assert.deepEqual(summary.jobs.map((job) => [job.id, job.status]).sort(), [
    ["a@dev.fails", "failed"],
    ["b@dev.after", "skipped"],
    ["c@dev.free", "completed"],
  ]);

  const lenientPlan = await planDir(t, jobs, { concurrency: 1, failFast: false }, "orun-ff-");
  const stop = await runOrun(["run", "plan.json", "--fail-fast"], { cwd: lenientPlan });
  assert.equal(stop.code, 1, stop.stdout + stop.stderr);
  assert.deepEqual(await ran(lenientPlan), ["a"]);

  // The dry-run preview's scope line says which applies.
  const scopeLine = async (args: string[]): Promise<string> => {
    const preview = await runOrun(["run", "plan.json", "--dry-run", ...args], { cwd: failFastPlan });
    assert.equal(preview.code, 0, preview.stdout + preview.stderr);
    return preview.stdout.split("\n").find((line) => line.includes("Scope:")) ?? "";
  };
  assert.match(await scopeLine([]), /fail-fast/);
  assert.doesNotMatch(await scopeLine(["--no-fail-fast"]), /fail-fast/);
});

test("--no-fail-fast is refused under remote state, before any job runs: every runner of a remote run stops alike", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "echo a >> ran" }] }], {}, "orun-ff-");
  // Nothing listens on the backend URL: the refusal comes before orun contacts it.
  const refused = await runOrun(["run", "plan.json", "--no-fail-fast"], {
    cwd: dir,
    env: { ORUN_REMOTE_STATE: "true", ORUN_BACKEND_URL: "http://127.0.0.1:9", ORUN_TOKEN: "t" },
  });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /--no-fail-fast does not apply under remote state: remote run \S+ takes failFast from its plan/);
  assert.deepEqual(await ran(dir), []);
});
