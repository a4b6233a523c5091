// A `--retry` keeps GitHub's workflow attempt numbers GitHub's: with real processes (`orun backend serve` on
// loopback, SQLite and PostgreSQL; `orun run --job … --remote-state` runners, OIDC from the local issuer), a retry
// made with ORUN_TOKEN counts as a retry, not as attempt 2, so GitHub's real attempt 2 ("Re-run failed jobs") still
// reopens the failed job and its dependent's leg waits for it; and a `--retry` with an earlier attempt's token
// never lowers the attempt, so a late leg of an attempt the job already ran in reopens nothing.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/remote/backend/store/index.js";
import { startOidcIssuer, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { testDatabase, tokenFor, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess, type OrunProcess } from "./processes.js";

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ledgerOf = async (file: string) => (await fs.readFile(file, "utf8").catch(() => "")).trim().split("\n").filter(Boolean);

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a retry keeps the workflow's attempt numbers (${kind})`, () => {
    let dir: string;
    let db: TestDatabase | undefined;
    let issuer: LocalOidcIssuer;
    let backend: BackendProcess;
    let token: string;

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-retry-attempts-"));
      issuer = await startOidcIssuer();
      backend = await startBackendProcess(db.url, ["--oidc-issuer", issuer.issuer]);
      const store = await openStore(db.url);
      token = await tokenFor(store, "acme/widgets");
      await store.close();
    });
    after(async () => {
      killAllChildren();
      await backend?.stop();
      await issuer?.close();
      await db?.cleanup();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it("a --retry with ORUN_TOKEN takes up no attempt: GitHub's attempt 2 still reopens the job; an earlier attempt's --retry never lowers it", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const ledger = path.join(dir, "ledger");
      const fixed = path.join(dir, "fixed");
      const planFile = await writePlan(dir, "attempts", [
        { id: "x@dev.build", run: `echo x >> ${ledger}; [ -f ${fixed} ] || exit 3` },
        { id: "d@dev.deploy", deps: ["x@dev.build"], run: `echo d >> ${ledger}` },
      ]);
      const runId = "gha-4343-1-attempts";
      const base = { ORUN_BACKEND_URL: backend.url, ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId };
      const withToken = (args: string[]) => spawnOrun(["run", planFile, ...args], { cwd: dir, env: { ...base, ORUN_TOKEN: token, GITHUB_ACTIONS: "" } }).done;
      // A matrix leg of workflow run 4343: its OIDC token names the run and the attempt.
      const leg = (job: string, attempt: number, extra: string[] = []): OrunProcess =>
        spawnOrun(["run", planFile, "--job", job, ...extra], {
          cwd: dir,
          env: {
            ...base,
            ORUN_TOKEN: "",
            GITHUB_ACTIONS: "true",
            GITHUB_RUN_ID: "4343",
            GITHUB_RUN_ATTEMPT: String(attempt),
            ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.tokenRequestUrl}?repo=acme/widgets&run_id=4343&run_attempt=${attempt}`,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
          },
        });
      const status = async () => (await spawnOrun(["status", "--exec-id", runId], { cwd: dir, env: { ...base, ORUN_TOKEN: token, GITHUB_ACTIONS: "" } }).done).output;

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
      await waitFor(() => /waiting for attempt 2 to retry it/.test(waiting.output()), 60_000, `d's attempt-2 leg waits: ${waiting.output()}`);
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
      assert.match(late.output, /already failed on another runner/);
      // Attempt 3 finishes the run.
      const third = leg("d@dev.deploy", 3);
      await waitFor(() => /waiting for attempt 3 to retry it/.test(third.output()), 60_000, `d's attempt-3 leg waits: ${third.output()}`);
      const last = await Promise.all([leg("x@dev.build", 3).done, third.done]);
      for (const r of last) assert.equal(r.code, 0, r.output);
      assert.deepEqual(await ledgerOf(ledger), ["x", "x", "x", "x", "x", "d"]);
      text = await status();
      assert.match(text, /State: completed/);
      assert.match(text, /✓ x@dev\.build\s+success\s+\S+\s+attempt 3 · retried 4×/);
    });
  });
}
