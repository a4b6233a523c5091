// Retrying a failed job within its remote run, with real processes: `orun backend serve` on loopback (SQLite;
// PostgreSQL with two replicas) and `orun run --job … --remote-state` runners. `--job X --retry` reopens X and the
// jobs skipped because of it — two runners retrying at once run it once — and GitHub's "Re-run failed jobs" (the
// same run_id, a higher run_attempt in the OIDC token of the local issuer) just works: the re-run's dependent legs,
// started first, wait for the re-run of the failed leg instead of failing again.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { until } from "../support/wait.js";
import type { StoreKind } from "./helpers.js";
import { countMatches, spawnOrun, writePlan } from "./processes.js";
import { ledgerOf, retryBed } from "./retry-bed.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`retrying a failed job in its remote run (${kind})`, () => {
    const bed = retryBed(kind, "orun-retry-in-run-");
    let runs = 0;

    it("--job X --retry: two runners retrying at once run X once, and the dependent it had skipped runs after it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const ledger = path.join(bed.dir, `ledger-${++runs}`);
      const fixed = path.join(bed.dir, `fixed-${runs}`);
      const planFile = await writePlan(bed.dir, `retry-${runs}`, [
        { id: "x@dev.build", run: `echo x >> ${ledger}; if [ -f ${fixed} ]; then sleep 1; echo x-fixed; else echo x-broken; exit 3; fi` },
        { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
      ]);
      const runId = `retry-run-${runs}`;
      const e = bed.env({ ORUN_EXEC_ID: runId });
      const failed = await spawnOrun(["run", planFile, "--job", "x@dev.build"], { cwd: bed.dir, env: e }).done;
      assert.equal(failed.code, 1, failed.output);
      const blocked = await spawnOrun(["run", planFile, "--job", "d@dev.deploy"], { cwd: bed.dir, env: e }).done;
      assert.equal(blocked.code, 1, blocked.output);
      assert.match(blocked.output, new RegExp(`retry x@dev\\.build in this run \\(orun run \\S+ --backend-url \\S+ --job x@dev\\.build --exec-id ${runId} --remote-state --retry\\), then run d@dev\\.deploy again`));
      const again = await spawnOrun(["run", planFile, "--job", "x@dev.build"], { cwd: bed.dir, env: e }).done;
      assert.equal(again.code, 1, "without --retry the failure stands");
      assert.match(again.output, new RegExp(`✕ job x@dev\\.build not run: it already failed in remote run ${runId} \\(on runner [^)]+\\): step main: command exited with code 3; once fixed, retry it in this run: orun run \\S+ --backend-url \\S+ --job x@dev\\.build --exec-id ${runId} --remote-state --retry`));

      await fs.writeFile(fixed, "");
      // One retrying runner on each replica (PostgreSQL), at once.
      const retries = bed.racerUrls();
      const racers = retries.map((url) => spawnOrun(["run", planFile, "--job", "x@dev.build", "--retry"], { cwd: bed.dir, env: { ...e, ORUN_BACKEND_URL: url } }));
      await until(() => racers.some((r) => /↻ retrying job x@dev\.build/.test(r.output())), "a retry claims x", 60_000);
      // Started while x runs again: d was reopened, so its runner waits for x and runs after it.
      const dependent = spawnOrun(["run", planFile, "--job", "d@dev.deploy"], { cwd: bed.dir, env: e });
      const results = await Promise.all([...racers, dependent].map((r) => r.done));
      for (const r of results) assert.equal(r.code, 0, r.output);
      const retried = results.slice(0, racers.length).filter((r) => /↻ retrying job x@dev\.build, which failed in remote run/.test(r.output));
      assert.equal(retried.length, 1, results.map((r) => r.output).join("\n----\n"));
      assert.match(retried[0].output, /pending again: d@dev\.deploy/);
      // x ran once more (on one runner), then d.
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d"]);
      assert.equal(countMatches(results.map((r) => r.output).join("\n"), /↻ retrying job/), 1);

      const status = await bed.status(runId);
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /State: completed/);
      assert.match(status.output, /✓ x@dev\.build\s+success\s+\S+\s+retried once/);
      // Retrying a job that succeeded runs nothing.
      const done = await spawnOrun(["run", planFile, "--job", "x@dev.build", "--retry"], { cwd: bed.dir, env: e }).done;
      assert.equal(done.code, 0, done.output);
      assert.match(done.output, /job x@dev\.build is not retried: it succeeded in remote run/);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d"]);
    });

    it("GitHub's \"Re-run failed jobs\": the next attempt's legs reclaim the failed job, and its dependents' legs started first wait for it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const ledger = path.join(bed.dir, `ledger-${++runs}`);
      const fixed = path.join(bed.dir, `fixed-${runs}`);
      const planFile = await writePlan(bed.dir, `rerun-${runs}`, [
        { id: "x@dev.build", run: `echo x >> ${ledger}; if [ -f ${fixed} ]; then echo x-fixed; else exit 3; fi` },
        { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
        { id: "e@dev.verify", deps: ["d@dev.deploy"], run: `echo e >> ${ledger}` },
      ]);
      const runId = `gha-4242-1-${runs}`;
      // A matrix leg of workflow run 4242: OIDC from the local issuer, its token naming the run and the attempt.
      const leg = (job: string, attempt: number) => bed.leg(planFile, runId, job, attempt, "4242");
      const first = await Promise.all(["x@dev.build", "d@dev.deploy", "e@dev.verify"].map((job) => leg(job, 1).done));
      for (const r of first) assert.equal(r.code, 1, r.output);

      await fs.writeFile(fixed, "");
      // Attempt 2 re-runs the failed legs; the dependents' legs happen to start first.
      const waiting = ["e@dev.verify", "d@dev.deploy"].map((job) => leg(job, 2));
      await until(() => waiting.every((w) => /was skipped: dependency .* in attempt 1; waiting for attempt 2 to retry it/.test(w.output())), "the dependents' legs wait", 60_000);
      for (const w of waiting) assert.equal(w.child.exitCode, null, `still waiting: ${w.output()}`);
      const failedLeg = leg("x@dev.build", 2);
      const second = await Promise.all([failedLeg, ...waiting].map((l) => l.done));
      for (const r of second) assert.equal(r.code, 0, r.output);
      assert.match(second[0].output, /↻ retrying job x@dev\.build, which failed in remote run \S+ \(attempt 2\); pending again: d@dev\.deploy, e@dev\.verify/);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d", "e"]);

      const status = await bed.status(runId);
      assert.match(status.output, /State: completed/);
      for (const job of ["x@dev\\.build", "d@dev\\.deploy", "e@dev\\.verify"]) assert.match(status.output, new RegExp(`✓ ${job}\\s+success\\s+\\S+\\s+attempt 2`));
      // An attempt-1 leg run again late (older than the run's state) changes nothing.
      const late = await leg("x@dev.build", 1).done;
      assert.equal(late.code, 0, late.output);
      assert.match(late.output, /already completed in remote run /);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d", "e"]);
    });
  });
}
