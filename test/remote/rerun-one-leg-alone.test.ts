// GitHub's "Re-run this job" on one dependent leg, with real processes: `orun backend serve --retry-grace 15s` on
// loopback (SQLite; PostgreSQL with two replicas) and `orun run --job … --remote-state` legs whose OIDC tokens (the
// local issuer's) name the workflow run and attempt. The leg re-run alone has nobody to retry the job it depends
// on: it fails once the grace ends — not after ORUN_REMOTE_WAIT_TIMEOUT_MS — naming the failed job, its attempt,
// "Re-run failed jobs" and the retry command. Re-running the failed jobs (both legs, in either order) then runs
// the dependent after the retried job; in a plan that stops on failure (fail-fast, as compiled plans do) as well.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { until } from "../support/wait.js";
import type { StoreKind } from "./helpers.js";
import { countMatches, writePlan } from "./processes.js";
import { ledgerOf, retryBed } from "./retry-bed.js";

/** Long enough for a leg started after another to arrive within it on a loaded machine; each test waits it out once. */
const GRACE_MS = 15_000;
const GRACE = `${GRACE_MS / 1000}s`;
/** Far longer than the grace: a leg still waiting for it would say `dependency wait timeout`. */
const WAIT_TIMEOUT = { ORUN_REMOTE_WAIT_TIMEOUT_MS: "120000" };

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a dependent's leg re-run alone (${kind})`, () => {
    const bed = retryBed(kind, "orun-rerun-one-leg-", { serveArgs: ["--retry-grace", `${GRACE_MS}ms`] });
    let runs = 0;

    /** A plan of x (failing until `fixed` exists) and d after it, run once by attempt 1's legs: both exit 1. */
    const failedRun = async (ghRun: string, failFast: boolean) => {
      const ledger = path.join(bed.dir, `ledger-${++runs}`);
      const fixed = path.join(bed.dir, `fixed-${runs}`);
      const planFile = await writePlan(
        bed.dir,
        `alone-${runs}`,
        [
          { id: "x@dev.build", run: `echo x >> ${ledger}; [ -f ${fixed} ] || exit 3` },
          { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
        ],
        { failFast },
      );
      const runId = `gha-${ghRun}-1-alone`;
      const leg = (job: string, attempt: number) => bed.leg(planFile, runId, job, attempt, ghRun, [], WAIT_TIMEOUT);
      for (const r of await Promise.all(["x@dev.build", "d@dev.deploy"].map((job) => leg(job, 1).done))) assert.equal(r.code, 1, r.output);
      return { ledger, fixed, runId, leg };
    };

    /** Attempt 2 re-runs d's leg alone: it fails once the grace ends, saying why and how to go on. */
    const aloneFailsAfterGrace = async (leg: (job: string, attempt: number) => ReturnType<typeof bed.leg>, runId: string, skippedFor: RegExp) => {
      const started = Date.now();
      const alone = await leg("d@dev.deploy", 2).done;
      const took = Date.now() - started;
      assert.equal(alone.code, 1, alone.output);
      assert.ok(took >= GRACE_MS, `it waited the grace for x's leg first (${took} ms)`);
      assert.ok(took < 90_000, `it failed soon after the grace (${took} ms), not at the wait timeout`);
      assert.doesNotMatch(alone.output, /dependency wait timeout/);
      assert.match(alone.output, /○ job d@dev\.deploy was skipped: .* in attempt 1; waiting for attempt 2 to retry it\.\.\./);
      assert.match(alone.output, toldNotRetried("d@dev\\.deploy", skippedFor, runId));
    };

    /**
     * What a leg re-run alone says of `job` once the grace ends (its attempt 2 did not retry x); its retry command
     * repeats the leg's own --concurrency when it was given one.
     */
    const toldNotRetried = (job: string, skippedFor: RegExp, runId: string, concurrency = "") =>
      new RegExp(
        `✕ job ${job} will not run: ${skippedFor.source} in attempt 1, and no runner of attempt 2 retried x@dev\\.build within ${GRACE}: ` +
          `if its leg was not re-run with this one \\(GitHub's "Re-run this job" re-runs one leg\\), "Re-run failed jobs" re-runs both; ` +
          `if it is queued, re-run this leg once it has retried x@dev\\.build \\(orun backend serve --retry-grace sets how long a leg waits\\); ` +
          `or retry x@dev\\.build in this run \\(orun run \\S+ --backend-url \\S+ ${concurrency ? `--concurrency ${concurrency} ` : ""}--job x@dev\\.build --exec-id ${runId} --remote-state --retry\\), then run ${job} again`,
      );

    it("fails once the retry grace ends, naming the failed dependency and its attempt; re-running the failed jobs, the dependent's leg first, then runs it after the retried job", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const { ledger, fixed, runId, leg } = await failedRun("8181", false);
      await aloneFailsAfterGrace(leg, runId, /dependency x@dev\.build failed/);
      assert.deepEqual(await ledgerOf(ledger), ["x"], "d never ran");

      // "Re-run failed jobs" (attempt 3), fixed: d's leg starts first and waits; x's leg, started after it, retries x.
      await fs.writeFile(fixed, "");
      const waiting = leg("d@dev.deploy", 3);
      await until(() => /waiting for attempt 3 to retry it/.test(waiting.output()), `d's attempt-3 leg waits: ${waiting.output()}`, 60_000);
      const [x, d] = await Promise.all([leg("x@dev.build", 3).done, waiting.done]);
      assert.equal(x.code, 0, x.output);
      assert.match(x.output, /↻ retrying job x@dev\.build, which failed in remote run \S+ \(attempt 3\); pending again: d@dev\.deploy/);
      assert.equal(d.code, 0, d.output);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d"]);
      assert.match((await bed.status(runId)).output, /State: completed/);
    });

    it("in a run stopped by fail-fast: fails once the grace ends; re-running the failed jobs, the failed job's leg first, then runs the dependent after it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const { ledger, fixed, runId, leg } = await failedRun("8282", true);
      await aloneFailsAfterGrace(leg, runId, /not started: fail-fast after x@dev\.build failed/);
      assert.deepEqual(await ledgerOf(ledger), ["x"], "d never ran");

      // "Re-run failed jobs" (attempt 3), fixed: x's leg starts first and reopens the run; d's leg comes after.
      await fs.writeFile(fixed, "");
      const retrying = leg("x@dev.build", 3);
      await until(() => /↻ retrying job x@dev\.build/.test(retrying.output()), `x's attempt-3 leg retries x: ${retrying.output()}`, 60_000);
      const [x, d] = await Promise.all([retrying.done, leg("d@dev.deploy", 3).done]);
      assert.equal(x.code, 0, x.output);
      assert.match(x.output, /the run, stopped by fail-fast after x@dev\.build failed, is open again; pending again: d@dev\.deploy/);
      assert.equal(d.code, 0, d.output);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "d"]);
      assert.match((await bed.status(runId)).output, /State: completed/);
    });

    it("a leg of several jobs behind the failure (--env), at concurrency 1, fails after one grace, not one grace per job", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const ledger = path.join(bed.dir, `ledger-${++runs}`);
      const fixed = path.join(bed.dir, `fixed-${runs}`);
      const stage = ["d1@stage.a", "d2@stage.b", "d3@stage.c", "d4@stage.d"];
      const planFile = await writePlan(bed.dir, `stage-${runs}`, [
        { id: "x@dev.build", run: `echo x >> ${ledger}; [ -f ${fixed} ] || exit 3` },
        ...stage.map((id) => ({ id, deps: ["x@dev.build"], run: `echo ${id} >> ${ledger}` })),
      ]);
      const runId = "gha-8383-1-stage";
      const leg = (job: string, attempt: number, args: string[] = []) => bed.leg(planFile, runId, job, attempt, "8383", args, WAIT_TIMEOUT);
      assert.equal((await leg("x@dev.build", 1).done).code, 1);
      assert.equal((await leg("", 1, ["--env", "stage"]).done).code, 1);

      // Attempt 2 re-runs the stage leg alone, one job at a time.
      const started = Date.now();
      const alone = await leg("", 2, ["--env", "stage", "--concurrency", "1"]).done;
      const took = Date.now() - started;
      assert.equal(alone.code, 1, alone.output);
      // Four jobs behind the failure: one grace per job would take 4 × the grace.
      assert.ok(took >= GRACE_MS && took < 2.5 * GRACE_MS, `one grace for the leg (${took} ms; grace ${GRACE_MS} ms)`);
      assert.doesNotMatch(alone.output, /dependency wait timeout/);
      // The first job is told; the others, behind the same failure, are not asked about again.
      assert.match(alone.output, toldNotRetried("d1@stage\\.a", /dependency x@dev\.build failed/, runId, "1"));
      assert.equal(countMatches(alone.output, /will not run: dependency x@dev\.build failed in attempt 1/), 1, alone.output);
      for (const id of stage.slice(1)) assert.match(alone.output, new RegExp(`✕ job ${id.replace(/\./g, "\\.")} will not run: it depends on x@dev\\.build \\(above\\)`));
      assert.deepEqual(await ledgerOf(ledger), ["x"], "no stage job ran");

      // x's leg of attempt 2 was only queued: it comes now and retries x, and says the stage leg gave up.
      await fs.writeFile(fixed, "");
      const late = await leg("x@dev.build", 2).done;
      assert.equal(late.code, 0, late.output);
      assert.match(
        late.output,
        new RegExp(
          `↻ retrying job x@dev\\.build, which failed in remote run \\S+ \\(attempt 2\\); pending again: d1@stage\\.a, d2@stage\\.b, d3@stage\\.c, d4@stage\\.d ` +
            `\\(this attempt's legs of them gave up waiting for x@dev\\.build after ${GRACE}, orun backend serve --retry-grace: re-run them\\)`,
        ),
      );
      // Re-running the stage leg (attempt 3) runs its jobs.
      const again = await leg("", 3, ["--env", "stage"]).done;
      assert.equal(again.code, 0, again.output);
      assert.deepEqual((await ledgerOf(ledger)).slice(0, 2), ["x", "x"]);
      assert.deepEqual((await ledgerOf(ledger)).slice(2).sort(), stage);
    });
  });
}
