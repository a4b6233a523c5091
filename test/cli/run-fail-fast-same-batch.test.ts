// Fail-fast when jobs end together: two steps end while orun is stopped (SIGSTOP), so the spawn helper's end
// replies for both wait in its pipe and orun reads them at once. The failure stops every job the success released,
// whichever end the helper reported first; only a job the helper itself had already started (handed over, see
// scheduler.ts) runs on, and its record says so. Real processes; which jobs ran is read from files the steps write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { planDir, readJson, recordFile, type StateFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

/** A silent step that records its pid and waits for `go-<name>`. */
const waitsForGo = (name: string, code: number): string => `echo $$ > ${name}.pid; while [ ! -e go-${name} ]; do sleep 0.01; done; exit ${code}`;

for (const first of ["a", "c"]) {
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
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // The step's output file: the helper removes it (empty) once it has sent the step's end reply.
    const pid = (name: string): string => (existsSync(path.join(dir, `${name}.pid`)) ? readFileSync(path.join(dir, `${name}.pid`), "utf8") : "");
    const outputFile = (name: string): string => readlinkSync(`/proc/${pid(name).trim()}/fd/1`);
    try {
      await until(() => pid("a").endsWith("\n") && pid("c").endsWith("\n"), "both steps to start");
      const files = { a: outputFile("a"), c: outputFile("c") };
      child.kill("SIGSTOP");
      // One end at a time, each reported (its output file removed) before the next: both replies then wait in the pipe.
      for (const name of first === "a" ? (["a", "c"] as const) : (["c", "a"] as const)) {
        writeFileSync(path.join(dir, `go-${name}`), "");
        await until(() => !existsSync(files[name]), `the helper to report the end of ${name}`);
      }
    } finally {
      child.kill("SIGCONT");
    }
    assert.equal(await exited, 1);

    const saved = await readJson<StateFile>(recordFile(dir, "x", "state.json"));
    assert.equal(saved.jobs["a@dev.x"]?.status, "completed");
    assert.equal(saved.jobs["c@dev.x"]?.status, "failed");
    assert.equal(existsSync(path.join(dir, "ran-b-dev")), false, "b@dev.x must not start after the failure was read");
    assert.equal(saved.jobs["b@dev.x"]?.status, "skipped");
    assert.equal(saved.jobs["b@dev.x"]?.reason, "not started: fail-fast after c@dev.x failed");
    // a@prod.x may have been handed over: the helper then started it the moment a@dev.x exited 0, before orun
    // could know of the failure. Either way its record says what happened.
    const aProd = saved.jobs["a@prod.x"];
    if (existsSync(path.join(dir, "ran-a-prod"))) assert.equal(aProd?.status, "completed");
    else assert.deepEqual([aProd?.status, aProd?.reason], ["skipped", "not started: fail-fast after c@dev.x failed"]);
  });
}
