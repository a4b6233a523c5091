// A `--retry` keeps GitHub's workflow attempt numbers GitHub's: with real processes (`orun backend serve` on
// loopback, SQLite and PostgreSQL; `orun run --job … --remote-state` runners, OIDC from the local issuer), a retry
// made with ORUN_TOKEN counts as a retry, not as attempt 2, so GitHub's real attempt 2 ("Re-run failed jobs") still
// reopens the failed job and its dependent's leg waits for it; and a `--retry` with an earlier attempt's token
// never lowers the attempt, so a late leg of an attempt the job already ran in reopens nothing.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { until } from "../support/wait.js";
import type { StoreKind } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { ledgerOf, retryBed } from "./retry-bed.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a retry keeps the workflow's attempt numbers (${kind})`, () => {
    const bed = retryBed(kind, "orun-retry-attempts-", { replicas: 1 });

    it("a --retry with ORUN_TOKEN takes up no attempt: GitHub's attempt 2 still reopens the job; an earlier attempt's --retry never lowers it", async (t) => {
      if (!bed.db) return t.skip("PostgreSQL unavailable");
      const ledger = path.join(bed.dir, "ledger");
      const fixed = path.join(bed.dir, "fixed");
      const planFile = await writePlan(bed.dir, "attempts", [
        { id: "x@dev.build", run: `echo x >> ${ledger}; [ -f ${fixed} ] || exit 3` },
        { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
      ]);
      const runId = "gha-4343-1-attempts";
      const withToken = (args: string[]) => spawnOrun(["run", planFile, ...args], { cwd: bed.dir, env: bed.env({ ORUN_EXEC_ID: runId }) }).done;
      // A matrix leg of workflow run 4343: its OIDC token names the run and the attempt.
      const leg = (job: string, attempt: number, extra: string[] = []) => bed.leg(planFile, runId, job, attempt, "4343", extra);
      const status = async () => (await bed.status(runId)).output;

      for (const r of await Promise.all(["x@dev.build", "d@dev.deploy"].map((job) => leg(job, 1).done))) assert.equal(r.code, 1, r.output);
      // Retried by hand with ORUN_TOKEN (still broken): a retry, not GitHub's attempt 2.
      const byHand = await withToken(["--job", "x@dev.build", "--retry"]);
      assert.equal(byHand.code, 1, byHand.output);
      assert.match(byHand.output, /↻ retrying job x@dev\.build/);
      let text = await status();
      assert.match(text, /✗ x@dev\.build\s+failed\s+\S+\s+retried once · /);
      assert.doesNotMatch(text, /attempt 2/);

      // GitHub's "Re-run failed jobs" (attempt 2), still broken: d's leg waits, x's leg reopens x, which fails again.
      const waiting = leg("d@dev.deploy", 2);
      await until(() => /waiting for attempt 2 to retry it/.test(waiting.output()), `d's attempt-2 leg waits: ${waiting.output()}`, 60_000);
      const rerun = await leg("x@dev.build", 2).done;
      assert.equal(rerun.code, 1, rerun.output);
      assert.match(rerun.output, /↻ retrying job x@dev\.build, which failed in remote run \S+ \(attempt 2\)/);
      assert.equal((await waiting.done).code, 1);

      // An explicit --retry with attempt 1's token (still broken) retries x but leaves it at attempt 2.
      const older = await leg("x@dev.build", 1, ["--retry"]).done;
      assert.equal(older.code, 1, older.output);
      assert.match(older.output, /↻ retrying job x@dev\.build/);
      text = await status();
      assert.match(text, /✗ x@dev\.build\s+failed\s+\S+\s+attempt 2 · retried 3× · /);

      await fs.writeFile(fixed, "");
      // A late leg of attempt 2 is not a later attempt than x's state: nothing reopens.
      const late = await leg("x@dev.build", 2).done;
      assert.equal(late.code, 1, late.output);
      assert.match(late.output, /already failed in remote run /);
      // Attempt 3 finishes the run.
      const third = leg("d@dev.deploy", 3);
      await until(() => /waiting for attempt 3 to retry it/.test(third.output()), `d's attempt-3 leg waits: ${third.output()}`, 60_000);
      const last = await Promise.all([leg("x@dev.build", 3).done, third.done]);
      for (const r of last) assert.equal(r.code, 0, r.output);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "x", "x", "x", "d"]);
      text = await status();
      assert.match(text, /State: completed/);
      assert.match(text, /✓ x@dev\.build\s+success\s+\S+\s+attempt 3 · retried 4×/);
    });
  });
}
