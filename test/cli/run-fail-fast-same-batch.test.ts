// Fail-fast when jobs end together: two steps end while orun is stopped (SIGSTOP), so the spawn helper's end
// replies for both wait in its pipe and orun reads them at once. The failure stops every job the success released,
// whichever end the helper reported first; only a job the helper itself had already started (handed over, see
// scheduler.ts) runs on, and its record says so. Real processes; which jobs ran is read from files the steps write.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type JobSpec, type StateFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

/** A silent step that records its pid and waits for `go-<name>`. */
const waitsForGo = (name: string, code: number): string => `echo $$ > ${name}.pid; while [ ! -e go-${name} ]; do sleep 0.01; done; exit ${code}`;

/**
 * Runs `orun run plan.json --exec-id x` in `dir` until the steps `a` and `c` (waitsForGo) both wait, stops orun,
 * lets them end one at a time in `order` — each end reported by the helper (its output file removed) before the
 * next — and lets orun go on: it reads both ends in one batch. Resolves with orun's exit code and output.
 */
async function endTogether(dir: string, order: readonly ["a", "c"] | readonly ["c", "a"], args: string[] = []): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // The step's output file: the helper removes it (empty) once it has sent the step's end reply.
  const pid = (name: string): string => (existsSync(path.join(dir, `${name}.pid`)) ? readFileSync(path.join(dir, `${name}.pid`), "utf8") : "");
  const outputFile = (name: string): string => readlinkSync(`/proc/${pid(name).trim()}/fd/1`);
  try {
    await until(() => pid("a").endsWith("\n") && pid("c").endsWith("\n"), "both steps to start");
    const files = { a: outputFile("a"), c: outputFile("c") };
    child.kill("SIGSTOP");
    for (const name of order) {
      writeFileSync(path.join(dir, `go-${name}`), "");
      await until(() => !existsSync(files[name]), `the helper to report the end of ${name}`);
    }
  } finally {
    child.kill("SIGCONT");
  }
  return { code: await exited, output };
}

for (const first of ["a", "c"] as const) {
  test(`fail-fast: a failure read together with a success stops the jobs the success released (${first === "a" ? "success" : "failure"} reported first)`, async (t) => {
    const dir = await planDir(
      t,
      [
        { id: "a@dev.x", steps: [{ run: waitsForGo("a", 0) }] },
        { id: "c@dev.x", steps: [{ run: waitsForGo("c", 1) }] },
        { id: "a@prod.x", dependsOn: ["a@dev.x"], steps: [{ run: "touch ran-a-prod" }] },
        { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [{ run: "touch ran-b-dev" }] },
      ],
      { concurrency: 3, failFast: true },
      "orun-ff-batch-",
    );
    assert.equal((await endTogether(dir, first === "a" ? ["a", "c"] : ["c", "a"])).code, 1);

    const saved = await readJson<StateFile>(recordFile(dir, "x", "state.json"));
    assert.equal(saved.jobs["a@dev.x"]?.status, "completed");
    assert.equal(saved.jobs["c@dev.x"]?.status, "failed");
    // Neither released job started. a@prod.x was handed over to a@dev.x, but no step had run in the plan's
    // directory yet when it was, so the helper held no request for it (the local runner hands over only steps
    // whose directory it has seen): it is released and withdrawn like b@dev.x.
    for (const [id, file] of [["b@dev.x", "ran-b-dev"], ["a@prod.x", "ran-a-prod"]] as const) {
      assert.equal(existsSync(path.join(dir, file)), false, `${id} must not start after the failure was read`);
      assert.deepEqual([saved.jobs[id]?.status, saved.jobs[id]?.reason], ["skipped", "not started: fail-fast after c@dev.x failed"], id);
    }
  });
}

test("fail-fast: a handed-over job the helper started when its dependency succeeded runs on, is recorded completed, says why it starts after the failure, and a resume does not run it again", async (t: TestContext) => {
  const specs: JobSpec[] = [
    // Warm-up: once a step has run in the plan's directory, the local runner hands steps there to the helper.
    { id: "w@dev.w", steps: [{ run: "true" }] },
    // a@prod.x is handed over when a@dev.x starts, so the helper holds its request before a@dev.x's second step starts.
    { id: "a@dev.x", dependsOn: ["w@dev.w"], steps: [{ run: "true" }, { run: waitsForGo("a", 0) }] },
    { id: "c@dev.x", steps: [{ run: waitsForGo("c", 1) }] },
    { id: "a@prod.x", dependsOn: ["a@dev.x"], steps: [{ run: "echo ran >> ran-a-prod" }] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [{ run: "touch ran-b-dev" }] },
  ];
  const dir = await planDir(t, specs, { concurrency: 3, failFast: true }, "orun-ff-runon-");
  // a's end first: the helper opens a@dev.x's latch and starts a@prod.x before c's failure is even there.
  const run = await endTogether(dir, ["a", "c"], ["-v"]);
  assert.equal(run.code, 1, run.output);
  // Its start is shown after the failure (that is when orun hears of it), with why.
  const lines = run.output.split("\n").map((line) => line.trim());
  const failed = lines.findIndex((line) => line.startsWith("✗ c·dev/x "));
  const ranOn = lines.indexOf("▶ a·prod/x  started before c@dev.x's failure was known");
  assert.ok(failed >= 0 && ranOn > failed, run.output);
  // After its own dependency's result line, whichever of a's end and c's failure orun applies first.
  const dependencyDone = lines.findIndex((line) => line.startsWith("✓ a·dev/x "));
  assert.ok(dependencyDone >= 0 && dependencyDone < ranOn, run.output);
  assert.ok(lines.includes("▶ a·dev/x"), "a job started the ordinary way has no note");

  const saved = await readJson<StateFile>(recordFile(dir, "x", "state.json"));
  assert.equal(saved.jobs["c@dev.x"]?.status, "failed");
  assert.equal(readFileSync(path.join(dir, "ran-a-prod"), "utf8"), "ran\n", "a@prod.x ran once");
  assert.equal(saved.jobs["a@prod.x"]?.status, "completed", "it ran: recorded as what it did");
  assert.deepEqual(Object.values(saved.jobs["a@prod.x"]?.steps ?? {}), ["completed"]);
  // Nothing the success released starts through orun after the failure.
  assert.equal(existsSync(path.join(dir, "ran-b-dev")), false);
  assert.deepEqual([saved.jobs["b@dev.x"]?.status, saved.jobs["b@dev.x"]?.reason], ["skipped", "not started: fail-fast after c@dev.x failed"]);

  // A resume runs what did not complete (c fails again at once: go-c is there), never a@prod.x again.
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir });
  assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
  assert.equal(readFileSync(path.join(dir, "ran-a-prod"), "utf8"), "ran\n", "a resume must not run a@prod.x again");
  const after = await readJson<StateFile>(recordFile(dir, "x", "state.json"));
  assert.equal(after.jobs["a@prod.x"]?.status, "completed");
  assert.equal(after.jobs["c@dev.x"]?.status, "failed");
});
