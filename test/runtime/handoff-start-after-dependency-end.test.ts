// A job handed over to the spawn helper (scheduler.ts hand-off) that the helper started as its dependency's last step
// exited 0, when fail-fast then trips, is shown started only after that dependency's result line. The line is emitted
// once the job's end is done (its earlier logs discarded in a resumed record, the hooks' afterJob): before, the
// hand-over waited only for the dependency's execution, and its start could come first. The window is held open
// here: the dependency's earlier logs are discarded only once the handed-over job is shown started (the wrong order)
// or, when it is not, two seconds after the failure that trips fail-fast (a bound on the wait, asserting nothing). The whole runtime (executePlan), the real local
// runner and the spawn helper.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { executePlan } from "../../src/runtime/execute.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import type { Plan } from "../../src/model/plan.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";
import { until } from "../support/wait.js";

/** A step that fails until <dir>/armed exists, then records its pid and waits for <dir>/go-<name>, then exits `code`. */
const waitsForGo = (dir: string, name: string, code: number): string =>
  `cd '${dir}' && test -f armed || exit 1; echo $$ > ${name}.pid; while [ ! -e go-${name} ]; do sleep 0.01; done; exit ${code}`;

async function run(dir: string, plan: Plan, events: RunEvent[] = []): Promise<number> {
  const { exitCode } = await executePlan({
    plan,
    storeDir: dir,
    workspaceDir: dir,
    runner: { name: "local", source: "default" },
    execId: "x",
    renderer: { handle: (event) => events.push(event), close: () => undefined },
    warn: () => undefined,
    stateWriteIntervalMs: 0,
  });
  return exitCode;
}

test("a handed-over job the helper started is shown started after its dependency's result, however long that job's end takes", async (t: TestContext) => {
  const dir = await tempDir("orun-handoff-order-");
  t.after(() => removeDir(dir));
  const plan = makePlan(
    [
      // Runs first in the resume: once a step has run in the plan's directory, the local runner hands steps there over.
      { id: "w@dev.w", steps: [{ run: `test -f '${dir}/armed'` }] },
      { id: "a@dev.x", dependsOn: ["w@dev.w"], steps: [{ run: "true" }, { run: waitsForGo(dir, "a", 0) }] },
      { id: "c@dev.x", steps: [{ run: waitsForGo(dir, "c", 1) }] },
      { id: "a@prod.x", dependsOn: ["a@dev.x"], steps: [{ run: `touch '${dir}/ran-a-prod'` }] },
    ],
    { concurrency: 3, failFast: true },
  );
  // A first run fails (w and c), so that the second is a resume: a@dev.x's earlier logs are set aside, then discarded.
  assert.equal(await run(dir, plan), 1);
  await writeFile(path.join(dir, "armed"), "");

  const events: RunEvent[] = [];
  let discardHeld = false;
  const setAside = ExecutionStore.prototype.setAsideJobLogs;
  t.after(() => void (ExecutionStore.prototype.setAsideJobLogs = setAside));
  ExecutionStore.prototype.setAsideJobLogs = async function (this: ExecutionStore, ...args: Parameters<typeof setAside>) {
    const [, jobId] = args;
    const aside = await setAside.apply(this, args);
    if (jobId !== "a@dev.x") return aside;
    return {
      restore: async () => aside?.restore(),
      discard: async () => {
        discardHeld = true;
        // Held until the handed-over job is shown started (the wrong order), or a while after c's failure when it is not.
        const prodStarted = until(() => events.some((e) => e.type === "job-start" && e.job.id === "a@prod.x"), "a@prod.x's start");
        const failureShown = until(() => events.some((e) => e.type === "job-end" && e.job.id === "c@dev.x"), "c's failure").then(() => new Promise((resolve) => setTimeout(resolve, 2000)));
        await Promise.race([prodStarted, failureShown]);
        await aside?.discard();
      },
    };
  };

  const resumed = run(dir, plan, events);
  await until(() => existsSync(path.join(dir, "a.pid")) && existsSync(path.join(dir, "c.pid")), "a and c to wait");
  // a's last step exits 0: the helper starts a@prod.x, and a@dev.x's end is held while discarding its earlier logs.
  await writeFile(path.join(dir, "go-a"), "");
  await until(() => existsSync(path.join(dir, "ran-a-prod")) && discardHeld, "a@prod.x to run and a@dev.x's end to be held");
  // c fails: fail-fast withdraws a@prod.x's ticket, and the helper says it started it.
  await writeFile(path.join(dir, "go-c"), "");
  assert.equal(await resumed, 1);

  const shown = events.filter((e) => e.type === "job-start" || e.type === "job-end").map((e) => `${e.type} ${e.job.id}`);
  const dependencyEnd = shown.indexOf("job-end a@dev.x");
  const handedOverStart = shown.indexOf("job-start a@prod.x");
  assert.ok(dependencyEnd >= 0 && handedOverStart > dependencyEnd, shown.join("\n"));
});
