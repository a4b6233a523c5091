// `orun backend serve --require-lease-secrets` (ORUN_BACKEND_REQUIRE_LEASE_SECRETS=true), over real HTTP on SQLite and
// PostgreSQL: a claim without a claimKey (a v2 runner, an orun runner from before lease secrets) is refused with a 400
// naming the job, and a job held without a lease secret (claimed before a restart with the flag) takes no heartbeat,
// result, release or log write from its runner ID alone; once its lease lapses a runner with a claim key takes it over.
// A real `orun run --remote-state` works end to end against a real `orun backend serve --require-lease-secrets`.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { api, backendOnStore, planOf, sql, startTestBackend, testDatabase, type StoreKind } from "../helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan } from "../processes.js";
import { releaseExpiredLeases, type Clock } from "../../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";
import { TOKEN_PREFIX } from "../../../src/remote/backend/auth/tokens.js";

const LEASE_MS = 60_000;
const REPO = "acme/require-lease";
const OPTIONS = { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000, rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } };
/** A clock one lease ahead: every running job's lease has lapsed. */
const ahead = (): Clock => ({ now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS });
const CLAIM_KEY = "claim-key-0123456789abcdef";

interface JobRow {
  status: string;
  runner_id: string | null;
  log_bytes: number | string;
  lease_hash: string | null;
}

after(() => killAllChildren());

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`--require-lease-secrets on ${kind}`, () => {
    // The backend this file's requests go to: it started without the flag (as before it was turned on).
    const on = backendOnStore(kind, OPTIONS, REPO);
    const ns = repositoryIdFor(REPO);
    let n = 0;
    const call = (url: string, method: string, urlPath: string, body?: unknown) => api(url, on.token, method, urlPath, body);
    const create = async () => {
      const runId = `require-${++n}-${Date.now()}`;
      const res = await call(on.backend.url, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    const row = async (runId: string) => (await sql<JobRow>(on.db!.url, "SELECT * FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = 'a'", [ns, runId]))[0]!;
    /** A second backend on the same database, started with the flag (a restart with it, or a replica). */
    const requiring = async () => startTestBackend(on.db!.url, { ...OPTIONS, requireLeaseSecrets: true });
    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("a claim without a claimKey is refused with the flag, naming the job, and accepted without it", async () => {
      const strict = await requiring();
      try {
        const runId = await create();
        const refused = await call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "v2-runner" });
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.body.code, "INVALID_REQUEST");
        assert.match(String(refused.body.error), /^Job a was not claimed: this backend requires lease secrets \(--require-lease-secrets\) and the claim for runner v2-runner sent no claimKey; use an orun runner that sends one/);
        const untouched = await row(runId);
        assert.deepEqual([untouched.status, untouched.runner_id], ["pending", null]);
        // A claim with a key takes it, with a lease secret.
        const leased = await call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "current", claimKey: CLAIM_KEY });
        assert.equal(leased.status, 200, leased.text);
        assert.equal(leased.body.claimed, true);
        assert.equal(typeof leased.body.leaseToken, "string");
        // Without the flag, a v2-style claim still takes a job (held by runner ID alone).
        const other = await create();
        const accepted = await call(on.backend.url, "POST", `/v1/runs/${other}/jobs/a/claim`, { runnerId: "v2-runner" });
        assert.equal(accepted.status, 200, accepted.text);
        assert.equal(accepted.body.claimed, true);
        assert.equal(accepted.body.leaseToken, undefined);
      } finally {
        await strict.stop();
      }
    });

    maybe("a job claimed without a lease before the restart with the flag takes no write by runner ID; a runner with a claim key takes it over once its lease lapses", async () => {
      const runId = await create();
      const claimed = await call(on.backend.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "v2-runner" });
      assert.equal(claimed.body.claimed, true, claimed.text);
      const before = await row(runId);
      assert.equal(before.lease_hash, null);
      const strict = await requiring();
      try {
        const writes = {
          heartbeat: () => call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/heartbeat`, { runnerId: "v2-runner" }),
          "log write": () => call(strict.url, "POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=v2-runner`, "=== s ===\nforged\n"),
          replace: () => call(strict.url, "POST", `/v1/runs/${runId}/logs/a`, "replaced whole\n"),
          result: () => call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId: "v2-runner", status: "success" }),
          release: () => call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/release`, { runnerId: "v2-runner", reason: "forged" }),
        };
        for (const [what, send] of Object.entries(writes)) {
          const res = await send();
          assert.equal(res.status, 403, `${what}: ${res.text}`);
          assert.equal(res.body.code, "LEASE_REFUSED", what);
          const runner = what === "replace" ? "(none named)" : "v2-runner";
          const named = what === "replace" ? "log write" : what;
          assert.match(String(res.body.error), new RegExp(`^Job a is held without a lease secret .*: this ${named} for runner ${runner.replace(/[()]/g, "\\$&")} is refused, since this backend requires lease secrets \\(--require-lease-secrets\\); nothing was changed`), what);
          assert.deepEqual(await row(runId), before, `${what} changed the job`);
        }
        // Nor does a claim with a key under its runner ID retake it while its lease lives (a runner ID proves nothing here).
        const retake = await call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "v2-runner", claimKey: CLAIM_KEY });
        assert.equal(retake.body.claimed, false, retake.text);
        assert.deepEqual(await row(runId), before, "a claim under its runner ID changed the job");
        // Its runner cannot claim it again without a key either; once its lease lapses, a current runner takes it over
        // with a lease, under any runner ID (matrix legs share one).
        await on.backend.store.mutateRun(ns, runId, { status: "running" }, (state) => releaseExpiredLeases(state, ahead()));
        const again = await call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "v2-runner" });
        assert.equal(again.status, 400, again.text);
        const takeover = await call(strict.url, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "v2-runner", claimKey: CLAIM_KEY });
        assert.equal(takeover.body.claimed, true, takeover.text);
        assert.equal(typeof takeover.body.leaseToken, "string", takeover.text);
        const lease = String(takeover.body.leaseToken);
        assert.notEqual((await row(runId)).lease_hash, null);
        const done = await api(strict.url, on.token, "POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId: "v2-runner", status: "success" }, { "X-Orun-Lease": lease });
        assert.equal(done.status, 200, done.text);
        assert.equal((await row(runId)).status, "success");
      } finally {
        await strict.stop();
      }
    });

    maybe("orun run --remote-state runs a plan end to end against orun backend serve --require-lease-secrets", async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-require-lease-"));
      const database = kind === "sqlite" ? `sqlite:${path.join(dir, "backend.db")}` : (await testDatabase("postgres"))!;
      const url = typeof database === "string" ? database : database.url;
      const backend = await startBackendProcess(url, ["--require-lease-secrets"]);
      try {
        assert.match(backend.proc.output(), /, lease secrets required: claims without a claimKey are refused\)\n/);
        const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", url], { cwd: dir }).done;
        const token = created.output.split("\n").find((line) => line.startsWith(TOKEN_PREFIX))?.trim();
        assert.ok(token, created.output);
        const plan = await writePlan(dir, "leased", [
          { id: "a@dev.build", run: "echo built" },
          { id: "b@dev.deploy", deps: ["a@dev.build"], run: "echo deployed" },
        ]);
        const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: `leased-${kind}`, ORUN_REMOTE_STATE: "", GITHUB_ACTIONS: "" };
        const run = await spawnOrun(["run", plan, "--remote-state"], { cwd: dir, env }).done;
        assert.equal(run.code, 0, run.output);
        const jobs = await sql<JobRow & { job_id: string }>(url, "SELECT * FROM jobs WHERE run_id = $1 ORDER BY job_id", [`leased-${kind}`]);
        assert.deepEqual(
          jobs.map((j) => [j.job_id, j.status, j.lease_hash !== null, Number(j.log_bytes) > 0]),
          [
            ["a@dev.build", "success", true, true],
            ["b@dev.deploy", "success", true, true],
          ],
        );
      } finally {
        await backend.stop();
        if (typeof database !== "string") await database.cleanup();
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
}

describe("ORUN_BACKEND_REQUIRE_LEASE_SECRETS", () => {
  it("=true turns the requirement on for orun backend serve; a value other than true or false is refused", async () => {
    const db = (await testDatabase("sqlite"))!;
    try {
      const backend = await startBackendProcess(db.url, [], 0, { ORUN_BACKEND_REQUIRE_LEASE_SECRETS: "TRUE" });
      try {
        assert.match(backend.proc.output(), /, lease secrets required: claims without a claimKey are refused\)\n/);
        const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", db.url]).done;
        const token = created.output.split("\n").find((line) => line.startsWith(TOKEN_PREFIX))?.trim();
        assert.ok(token, created.output);
        assert.equal((await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "env-run" })).status, 201);
        const refused = await api(backend.url, token, "POST", "/v1/runs/env-run/jobs/a/claim", { runnerId: "v2-runner" });
        assert.equal(refused.status, 400, refused.text);
        assert.match(String(refused.body.error), /requires lease secrets/);
      } finally {
        await backend.stop();
      }
      const misspelt = await spawnOrun(["backend", "serve", "--port", "0", "--database", db.url], { env: { ORUN_BACKEND_REQUIRE_LEASE_SECRETS: "yes" } }).done;
      assert.equal(misspelt.code, 1, misspelt.output);
      assert.match(misspelt.output, /✕ ORUN_BACKEND_REQUIRE_LEASE_SECRETS=yes: expected true or false\n/);
    } finally {
      await db.cleanup();
    }
  });
});
