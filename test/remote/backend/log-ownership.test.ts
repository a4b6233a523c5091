// Who may write a job's log, on SQLite and PostgreSQL: the ownership check is
// made inside the log write's transaction and a takeover deletes the old log
// inside the claim's, so a stalled runner's in-flight upload can never land in
// the new attempt's log, whatever the order of the racing requests; nor can text
// written before any runner claimed the job pass for its first runner's output.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql, type ApiResponse, type StoreKind } from "../helpers.js";
import { claimJob, releaseExpiredLeases, type Clock } from "../../../src/remote/backend/coordinator.js";
import type { LogWrite } from "../../../src/remote/backend/store/types.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";

const LEASE_MS = 60_000;
const REPO = "acme/log-ownership";
/** A clock one lease ahead: every running job's lease has expired. */
const ahead = (): Clock => ({ now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS });
const append = (runnerId: string, offset = 0): LogWrite => ({ mode: "append", maxBytes: 1 << 20, offset, runnerId });

/**
 * A log append whose body arrives in two parts: the headers and the first part go out at once
 * (`Expect: 100-continue`: the server answers 100 once it handles the request), the rest when `finish` is called.
 */
function slowAppend(url: string, token: string, body: string): { started: Promise<void>; finish(): void; response: Promise<ApiResponse> } {
  let finish!: () => void;
  let started!: () => void;
  const startedP = new Promise<void>((resolve) => (started = resolve));
  const response = new Promise<ApiResponse>((resolve, reject) => {
    const req = http.request(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body), Expect: "100-continue" },
    });
    req.on("continue", () => {
      req.write(body.slice(0, 5), () => started());
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: JSON.parse(text) as Record<string, unknown>, text }));
    });
    req.on("error", reject);
    finish = () => req.end(body.slice(5));
  });
  return { started: startedP, finish: () => finish(), response };
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`log ownership on ${kind}`, () => {
    // The real sweeper stays out of the way: the tests sweep with a clock of their own.
    const on = backendOnStore(kind, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000, rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }, REPO);
    let n = 0;
    const ns = repositoryIdFor(REPO);
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
    const create = async (edges: Record<string, string[]>) => {
      const runId = `logown-${++n}-${Date.now()}`;
      const res = await call("POST", "/v1/runs", { plan: planOf(edges), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    const claim = (runId: string, jobId: string, runnerId: string, clock?: Clock) =>
      on.backend.store.mutateRun(ns, runId, { jobIds: [jobId], deps: true }, (state) => claimJob(state, jobId, runnerId, clock ?? { now: new Date(), leaseMs: LEASE_MS }));
    const sweep = (runId: string) => on.backend.store.mutateRun(ns, runId, { status: "running" }, (state) => releaseExpiredLeases(state, ahead()));
    const logOf = async (runId: string, jobId: string) => (await on.backend.store.readLog(ns, runId, jobId))?.toString("utf8");
    const sizeOf = async (runId: string, jobId: string) => (await on.backend.store.getRun(ns, runId))?.jobs.find((j) => j.jobId === jobId)?.logBytes;

    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("a stalled runner's append whose body completes after a takeover is refused; the new owner's log starts empty and is kept", async () => {
      const runId = await create({ a: [] });
      assert.equal((await claim(runId, "a", "r1"))?.claimed, true);
      assert.deepEqual(await sweep(runId), ["a"]);
      // r1 (stalled, released, nobody claimed it yet) starts an append; its body is still arriving.
      const stale = slowAppend(`${on.backend.url}/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r1`, on.token, "=== s1 ===\nSTALE OUTPUT FROM r1\n");
      await stale.started;
      const takeover = await call("POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "r2" });
      assert.deepEqual([takeover.body.claimed, takeover.body.takeover], [true, true]);
      stale.finish();
      const refused = await stale.response;
      assert.deepEqual([refused.status, refused.body.code], [409, "CONFLICT"], refused.text);
      assert.match(String(refused.body.error), /Job a is not running on runner r1 \(running on r2\)/);
      const own = await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r2`, "=== s1 ===\nr2 output\n");
      assert.equal(own.status, 200, own.text);
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).text, "=== s1 ===\nr2 output\n");
    });

    maybe("in the store, a write checked after a takeover is refused, and one that landed before it is deleted by the claim", async () => {
      const runId = await create({ a: [] });
      await claim(runId, "a", "r1");
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("r1 part 1\n"), append("r1")), { bytes: 10 });
      // Lease expired but not swept: a takeover straight away deletes r1's log in the claim's transaction.
      assert.deepEqual(await claim(runId, "a", "r2", ahead()), { claimed: true, leaseMs: LEASE_MS, takeover: true });
      assert.equal(await logOf(runId, "a"), undefined, "the takeover deleted the previous attempt's log");
      assert.equal(await sizeOf(runId, "a"), 0);
      // r1 carries on, at the offset it knows and at 0: neither lands.
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("r1 part 2\n"), append("r1", 10)), { notHeld: true, status: "running", runnerId: "r2" });
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("r1 again\n"), { mode: "replace", maxBytes: 1 << 20, runnerId: "r1" }), {
        notHeld: true,
        status: "running",
        runnerId: "r2",
      });
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("r2\n"), append("r2")), { bytes: 3 });
      assert.equal(await logOf(runId, "a"), "r2\n");
      // Once the job is finished nobody appends to it any more.
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId: "r2", status: "success" })).status, 200);
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("late\n"), append("r2", 3)), { notHeld: true, status: "success", runnerId: "r2" });
      assert.equal(await logOf(runId, "a"), "r2\n");
    });

    maybe("a write and a takeover racing in any order never leave the stalled runner's output in the log", async () => {
      for (let i = 0; i < 8; i++) {
        const runId = await create({ a: [] });
        await claim(runId, "a", "r1");
        const [write, taken] = await Promise.all([on.backend.store.writeLog(ns, runId, "a", Buffer.from("stale\n"), append("r1")), claim(runId, "a", "r2", ahead())]);
        assert.equal(taken?.takeover, true);
        // Either it landed first (and the takeover deleted it) or it came second and was refused.
        assert.ok("bytes" in write || "notHeld" in write, JSON.stringify(write));
        assert.equal(await logOf(runId, "a"), undefined, `round ${i}: ${JSON.stringify(write)}`);
        assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("fresh\n"), append("r2")), { bytes: 6 });
      }
    });

    maybe("the runner a stalled job was released from may still write while nobody claimed it; another runner may not", async () => {
      const runId = await create({ a: [], b: [] });
      await claim(runId, "a", "r1");
      await sweep(runId);
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", Buffer.from("x"), append("r3")), { notHeld: true, status: "pending", runnerId: "r1" });
      const other = await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r3`, "x");
      assert.equal(other.status, 409);
      assert.match(String(other.body.error), /Job a is not running on runner r3 \(pending\)/, "a released job names no owner");
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r1`, "resumed\n")).status, 200);
      // A job never claimed is nobody's.
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/b?append=true&offset=0&runnerId=r1`, "x")).status, 409);
      assert.equal(await logOf(runId, "b"), undefined);
    });

    maybe("output another client wrote for a job before any runner claimed it is gone once one does: the runner's log starts at 0 and is its own", async () => {
      const runId = await create({ c: [] });
      const stored = async () => {
        const chunks = await sql<{ n: number | string }>(on.db!.url, "SELECT count(*) AS n FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = 'c'", [ns, runId]);
        const job = await sql<{ log_bytes: number | string }>(on.db!.url, "SELECT log_bytes FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = 'c'", [ns, runId]);
        return [Number(chunks[0]!.n), Number(job[0]!.log_bytes)];
      };
      // v2's replace names no runner, so it is taken for any job of the namespace, one nobody claimed too.
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/c`, "=== s1 ===\nFORGED OUTPUT\n")).status, 200);
      const taken = await call("POST", `/v1/runs/${runId}/jobs/c/claim`, { runnerId: "r1", claimKey: "c".repeat(20) });
      assert.equal(taken.body.claimed, true, taken.text);
      assert.deepEqual(await stored(), [0, 0], "the claim that took the job deleted what no runner of it wrote");
      const lease = { "X-Orun-Lease": String(taken.body.leaseToken) };
      const first = await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/logs/c?append=true&offset=0&runnerId=r1`, "real\n", lease);
      assert.equal(first.status, 200, first.text);
      assert.equal(await logOf(runId, "c"), "real\n");
    });

    maybe("a job skipped before any runner claimed it takes no log: it ran nothing (409, nothing stored)", async () => {
      const runId = await create({ a: [], b: ["a"] });
      assert.equal((await claim(runId, "a", "r1"))?.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId: "r1", status: "failed", error: "step s: exit 1" })).status, 200);
      const stored = async () => ({
        chunks: await sql(on.db!.url, "SELECT job_id, byte_offset FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = 'b'", [ns, runId]),
        job: await sql(on.db!.url, "SELECT status, runner_id, log_bytes, attempts FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = 'b'", [ns, runId]),
      });
      const before = await stored();
      assert.equal((before.job[0] as { status: string }).status, "skipped");
      // v2's replace (no runner named), and an append naming no runner.
      for (const query of ["", "?append=true&offset=0"]) {
        const res = await call("POST", `/v1/runs/${runId}/logs/b${query}`, "=== s1 ===\nFORGED OUTPUT\n");
        assert.deepEqual([res.status, res.body.code], [409, "CONFLICT"], res.text);
        assert.equal(res.body.error, "Job b was skipped before any runner claimed it: it ran nothing, so it takes no log");
      }
      assert.deepEqual(await stored(), before, "no log chunk written, the job row unchanged");
      assert.equal(await logOf(runId, "b"), undefined);
      // A job that ran (claimed once) still takes v2's upload naming no runner, after its end too.
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/a`, "failed output\n")).status, 200);
    });

    maybe("an unknown run or job is 404 whether or not the writer names itself", async () => {
      const runId = await create({ a: [] });
      for (const query of ["", "?append=true&offset=0&runnerId=r1"]) {
        const noRun = await call("POST", `/v1/runs/nope-${n}/logs/a${query}`, "x");
        assert.deepEqual([noRun.status, noRun.body.error], [404, "Run not found"]);
        const noJob = await call("POST", `/v1/runs/${runId}/logs/${enc("ghost@dev.job")}${query}`, "x");
        assert.deepEqual([noJob.status, noJob.body.error], [404, "Job not found"]);
      }
      assert.deepEqual(await on.backend.store.writeLog(ns, `nope-${n}`, "a", Buffer.from("x"), append("r1")), { notFound: "run" });
    });
  });
}
