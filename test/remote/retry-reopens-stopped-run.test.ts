// A failFast remote run (every compiled plan is) stops at its first failure: every job not started yet is skipped.
// Retrying the failed job reopens it — the stop is cleared and the jobs the stop skipped are pending again — so
// GitHub's "Re-run failed jobs" and `orun run --job X --retry --remote-state` finish the run. Real processes:
// `orun backend serve` on loopback (SQLite; PostgreSQL with two replicas), the built CLI as runners, OIDC tokens
// (run_id, run_attempt) from the local issuer.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { until } from "../support/wait.js";
import type { StoreKind } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { ledgerOf, retryBed } from "./retry-bed.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`retrying a failed job reopens its stopped (fail-fast) remote run (${kind})`, () => {
    const bed = retryBed(kind, "orun-reopen-stopped-");
    let runs = 0;
    const status = async (runId: string) => {
      const res = await bed.status(runId);
      assert.equal(res.code, 0, res.output);
      return res.output;
    };
    /** x fails until `fixed` exists; d needs x; u needs nothing (it simply had not started when x failed). */
    const stoppablePlan = async (extra: { id: string; deps?: string[]; run: string }[] = []) => {
      const n = ++runs;
      const ledger = path.join(bed.dir, `ledger-${n}`);
      const fixed = path.join(bed.dir, `fixed-${n}`);
      const planFile = await writePlan(
        bed.dir,
        `stopped-${n}`,
        [
          { id: "x@dev.build", run: `echo x >> ${ledger}; if [ -f ${fixed} ]; then echo x-fixed; else exit 3; fi` },
          { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
          { id: "u@dev.lint", run: `echo u >> ${ledger}` },
          ...extra.map((j) => ({ ...j, run: j.run.replaceAll("LEDGER", ledger) })),
        ],
        { failFast: true },
      );
      return { n, ledger, fixed, planFile };
    };

    /** Attempt 1 of workflow run `ghRun`: x's leg fails and stops the run; d's and u's legs, started after, are stopped. */
    const failAndStop = async (plan: { planFile: string }, runId: string, ghRun: string) => {
      const x = await bed.leg(plan.planFile, runId, "x@dev.build", 1, ghRun).done;
      assert.equal(x.code, 1, x.output);
      for (const job of ["d@dev.deploy", "u@dev.lint"]) {
        const r = await bed.leg(plan.planFile, runId, job, 1, ghRun).done;
        assert.equal(r.code, 1, r.output);
        assert.match(r.output, new RegExp(`remote run ${runId} stopped: its plan is failFast and x@dev\\.build failed`));
      }
      assert.match(await status(runId), /Stopped: fail-fast after x@dev\.build failed/);
    };

    it("GitHub's \"Re-run failed jobs\" on a failFast plan: attempt 2's legs reopen the stopped run and finish it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const plan = await stoppablePlan();
      const runId = `gha-7001-1-${plan.n}`;
      await failAndStop(plan, runId, "7001");
      assert.deepEqual(await ledgerOf(plan.ledger), ["x"]);

      await fs.writeFile(plan.fixed, "");
      // Attempt 2 re-runs every failed leg; those of the jobs the stop skipped happen to start first: they wait.
      const waiting = ["d@dev.deploy", "u@dev.lint"].map((job) => bed.leg(plan.planFile, runId, job, 2, "7001"));
      await until(() => waiting.every((w) => /was skipped: .* in attempt 1; waiting for attempt 2 to retry it/.test(w.output())), "the stopped jobs' legs wait", 60_000);
      for (const w of waiting) assert.equal(w.child.exitCode, null, `still waiting: ${w.output()}`);
      const x = bed.leg(plan.planFile, runId, "x@dev.build", 2, "7001");
      const results = await Promise.all([x, ...waiting].map((l) => l.done));
      for (const r of results) assert.equal(r.code, 0, r.output);
      assert.match(results[0].output, /↻ retrying job x@dev\.build, which failed in remote run \S+ \(attempt 2\); the run, stopped by fail-fast after x@dev\.build failed, is open again; pending again: d@dev\.deploy, u@dev\.lint/);
      // Each ran once more, d after x (u needs nothing: it may run before x's step does).
      const ledger = await ledgerOf(plan.ledger);
      assert.deepEqual([ledger[0], [...ledger.slice(1)].sort()], ["x", ["d", "u", "x"]], ledger.join(","));
      assert.ok(ledger.lastIndexOf("x") < ledger.indexOf("d"), ledger.join(","));

      const text = await status(runId);
      assert.match(text, /State: completed/);
      assert.doesNotMatch(text, /Stopped:/);
      for (const job of ["x@dev\\.build", "d@dev\\.deploy", "u@dev\\.lint"]) assert.match(text, new RegExp(`✓ ${job}\\s+success\\s+\\S+\\s+attempt 2`));
    });

    it("an older attempt reopens nothing; a run the retry reopened that fails again stops again", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const plan = await stoppablePlan();
      const runId = `gha-7002-1-${plan.n}`;
      await failAndStop(plan, runId, "7002");
      // Attempt 2 retries x (still broken): reopened, it fails again, and fail-fast stops the run again.
      const again = await bed.leg(plan.planFile, runId, "x@dev.build", 2, "7002").done;
      assert.equal(again.code, 1, again.output);
      assert.match(again.output, /↻ retrying job x@dev\.build/);
      const u = await bed.leg(plan.planFile, runId, "u@dev.lint", 2, "7002").done;
      assert.equal(u.code, 1, u.output);
      assert.match(u.output, /stopped: its plan is failFast and x@dev\.build failed/);
      // An attempt-1 leg run late (older than the failure it would retry) changes nothing, even once fixed.
      await fs.writeFile(plan.fixed, "");
      const late = await bed.leg(plan.planFile, runId, "x@dev.build", 1, "7002").done;
      assert.equal(late.code, 1, late.output);
      assert.match(late.output, /already failed in remote run /);
      assert.deepEqual(await ledgerOf(plan.ledger), ["x", "x"]);
      const text = await status(runId);
      assert.match(text, /State: failed/);
      assert.match(text, /Stopped: fail-fast after x@dev\.build failed/);
      assert.match(text, /✗ x@dev\.build\s+failed\s+\S+\s+attempt 2/);
      assert.match(text, /⊘ u@dev\.lint\s+skipped\s+\S*\s*attempt 2 · not started: fail-fast after x@dev\.build failed/);
    });

    it("orun run --job X --retry reopens the stopped run (two racing retries run X once): the jobs the stop skipped run after it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const plan = await stoppablePlan();
      const runId = `reopen-run-${plan.n}`;
      const e = bed.env({ ORUN_EXEC_ID: runId });
      const x = await spawnOrun(["run", plan.planFile, "--job", "x@dev.build"], { cwd: bed.dir, env: e }).done;
      assert.equal(x.code, 1, x.output);
      const stopped = await spawnOrun(["run", plan.planFile], { cwd: bed.dir, env: e }).done;
      assert.equal(stopped.code, 1, stopped.output);
      assert.match(await status(runId), /Stopped: fail-fast after x@dev\.build failed/);

      await fs.writeFile(plan.fixed, "");
      // Two runners retry x at once (one on each replica on PostgreSQL): one reopens the run and runs x.
      const urls = bed.racerUrls();
      const racers = await Promise.all(urls.map((url) => spawnOrun(["run", plan.planFile, "--job", "x@dev.build", "--retry"], { cwd: bed.dir, env: { ...e, ORUN_BACKEND_URL: url } }).done));
      for (const r of racers) assert.equal(r.code, 0, r.output);
      const retried = racers.filter((r) => /↻ retrying job/.test(r.output));
      assert.equal(retried.length, 1, racers.map((r) => r.output).join("\n----\n"));
      // A retry with ORUN_TOKEN takes up no workflow attempt: the line names none.
      assert.match(retried[0].output, /↻ retrying job x@dev\.build, which failed in remote run [^\s;]+; the run, stopped by fail-fast after x@dev\.build failed, is open again; pending again: d@dev\.deploy, u@dev\.lint/);
      assert.doesNotMatch(await status(runId), /Stopped:/);
      // Done, yet the jobs it reopened are still to run, and no runner may ever claim them: the summary says so and how.
      assert.match(retried[0].output, new RegExp(`! remote run ${runId} is incomplete, 2 jobs still to run: d@dev\\.deploy \\(pending\\), u@dev\\.lint \\(pending\\)`), retried[0].output);
      const restCommand = /^ {2}rest {4}run the jobs still to run in this run: (.+)$/m.exec(retried[0].output)?.[1];
      assert.match(restCommand ?? "", new RegExp(`^orun run \\S+\\.json .*--exec-id ${runId} --remote-state$`), retried[0].output);
      assert.doesNotMatch(restCommand ?? "", /--job|--retry/);
      const rest = await spawnOrun(["run", plan.planFile], { cwd: bed.dir, env: e }).done;
      assert.equal(rest.code, 0, rest.output);
      const ledger = await ledgerOf(plan.ledger);
      assert.deepEqual(ledger.slice(0, 2), ["x", "x"]);
      assert.deepEqual(ledger.slice(2).sort(), ["d", "u"]);
      const text = await status(runId);
      assert.match(text, /State: completed/);
      assert.match(text, /✓ x@dev\.build\s+success\s+\S+\s+retried once/);
    });

    it("a stopped run with two failed jobs: retrying one leaves the other's dependents skipped, until that one is retried too", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      // y fails too: it has started when x fails and stops the run, and fails once x's runner is done.
      const started = path.join(bed.dir, `started-${runs + 1}`);
      const plan = await stoppablePlan([
        { id: "y@dev.build", run: `echo y >> LEDGER; touch ${started}-y; while [ ! -f ${started}-go ]; do sleep 0.05; done; if [ -f ${started}-y-fixed ]; then echo y-fixed; else exit 4; fi` },
        { id: "e@dev.deploy", deps: ["y@dev.build"], run: "echo e >> LEDGER" },
      ]);
      const xStep = `touch ${started}-x; while [ ! -f ${started}-y ]; do sleep 0.05; done`;
      const planJson = JSON.parse(await fs.readFile(plan.planFile, "utf8")) as { jobs: { id: string; steps: { run: string }[] }[] };
      const xJob = planJson.jobs.find((j) => j.id === "x@dev.build")!;
      xJob.steps[0].run = `${xStep}; ${xJob.steps[0].run}`;
      await fs.writeFile(plan.planFile, JSON.stringify(planJson));
      const runId = `two-failed-${plan.n}`;
      const e = bed.env({ ORUN_EXEC_ID: runId });
      const runJob = (job: string, ...flags: string[]) => spawnOrun(["run", plan.planFile, "--job", job, ...flags], { cwd: bed.dir, env: e }).done;
      const yLeg = runJob("y@dev.build");
      const x = await runJob("x@dev.build");
      assert.equal(x.code, 1, x.output);
      await fs.writeFile(`${started}-go`, "");
      const y1 = await yLeg;
      assert.equal(y1.code, 1, y1.output);
      const stopped = await spawnOrun(["run", plan.planFile], { cwd: bed.dir, env: e }).done;
      assert.equal(stopped.code, 1, stopped.output);
      let text = await status(runId);
      assert.match(text, /Stopped: fail-fast after x@dev\.build failed/);
      assert.match(text, /✗ y@dev\.build\s+failed/);
      // Both failed jobs' retry commands, one a line (it was one template naming neither).
      // The plan as `orun run` here is given it: not stored here by its ID (the runners were given a file), it is a
      // runner's record's manifest.json.
      const manifest = /^ {2}orun run (\.orun\/executions\/[^/ ]+\/manifest\.json) /m.exec(text)?.[1] ?? "";
      assert.ok(manifest && (await fs.stat(path.join(bed.dir, manifest))).isFile(), text);
      const retries = [...text.matchAll(/^ {2}(orun run .* --retry)$/gm)].map((m) => m[1]);
      assert.deepEqual(retries, ["x@dev.build", "y@dev.build"].map((job) => `orun run ${manifest} --job ${job} --exec-id ${runId} --remote-state --backend-url ${bed.env().ORUN_BACKEND_URL} --retry`), text);

      await fs.writeFile(plan.fixed, "");
      const retry = await runJob("x@dev.build", "--retry");
      assert.equal(retry.code, 0, retry.output);
      assert.match(retry.output, /pending again: d@dev\.deploy, u@dev\.lint\n/);
      const rest = await spawnOrun(["run", plan.planFile], { cwd: bed.dir, env: e }).done;
      assert.equal(rest.code, 1, rest.output);
      assert.match(rest.output, /e·dev\/deploy\s+skipped · dependency y@dev\.build/);
      const e1 = await runJob("e@dev.deploy");
      assert.equal(e1.code, 1, e1.output);
      assert.match(e1.output, /job e@dev\.deploy will not run: upstream dependencies are blocked or failed \(dependency y@dev\.build failed\); retry y@dev\.build in this run/);
      text = await status(runId);
      assert.doesNotMatch(text, /Stopped:/);
      assert.match(text, /State: failed/);
      assert.match(text, /✗ y@dev\.build\s+failed/);
      assert.match(text, /⊘ e@dev\.deploy\s+skipped\s+\S*\s*dependency y@dev\.build failed/);
      for (const job of ["d@dev\\.deploy", "u@dev\\.lint"]) assert.match(text, new RegExp(`✓ ${job}\\s+success`));
      assert.deepEqual((await ledgerOf(plan.ledger)).filter((l) => l === "e"), [], "e never ran while y stayed failed");

      // The run is open: y can be retried now, which reopens e.
      await fs.writeFile(`${started}-y-fixed`, "");
      const y = await runJob("y@dev.build", "--retry");
      assert.equal(y.code, 0, y.output);
      assert.match(y.output, /pending again: e@dev\.deploy/);
      const last = await runJob("e@dev.deploy");
      assert.equal(last.code, 0, last.output);
      assert.match(await status(runId), /State: completed/);
    });
  });
}
