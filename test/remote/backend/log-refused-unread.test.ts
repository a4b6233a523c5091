// A log upload the backend will refuse (no such run or job, another runner's job, a leased job without its
// secret) is refused from its URL and headers, before its body is read: the backend buffered up to the log
// cap (10 MiB) per such request in flight before answering. The client here sends a sliver of a declared
// 10 MiB body and waits: the answer must come while the rest is still unsent (before, the server waited for
// the body until its request timeout, a 408). Nothing is written, on either store.
// Fixed: an upload declaring more than --max-log-size got its 413 before its body was read, but kept the connection
// alive, so the server drained the declared body (rev31 #6); readBody's 413 closes the connection.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql, tokenFor, type StoreKind } from "../helpers.js";

const DECLARED = 10 * 1024 * 1024;
const SENT = 64 * 1024;

type Answer = { status: number; body: { error?: string; code?: string }; connection?: string };

/** POSTs `path` declaring a `declared`-byte body, sends `sent` bytes of it and no more, and returns the answer. */
function partialUpload(baseUrl: string, token: string, path: string, headers: Record<string, string> = {}, declared = DECLARED, sent = SENT): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain", "Content-Length": String(declared), ...headers },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString("utf8");
        // Node's own 408 (the body never came in time) has no JSON.
        resolve({ status: res.statusCode ?? 0, body: text.startsWith("{") ? (JSON.parse(text) as { error?: string; code?: string }) : { error: text }, connection: res.headers.connection });
      });
    });
    // The connection closing under the unsent body is expected once the answer is in.
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    req.write(Buffer.alloc(sent, 0x61));
    pending.set(path, () => req.end(Buffer.alloc(declared - sent, 0x61)));
  });
}

/** Sends the rest of the body of the partial upload to `path`. */
const pending = new Map<string, () => void>();

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a refused log upload on ${kind}`, () => {
    // A short request timeout: an unread body is then a 408 well inside the test's time, not a hang.
    const on = backendOnStore(kind, { requestTimeoutMs: 10_000 }, "acme/unread");

    it("is answered before its body is read — missing run, missing job, another runner's job, no lease — and writes nothing", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
      const runId = `unread-${Date.now()}`;
      const [a, b] = [enc("a@dev.x"), enc("b@dev.x")];
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": [] }), runId })).status, 201);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${a}/claim`, { runnerId: "rA" })).body.claimed, true);
      const leased = await call("POST", `/v1/runs/${runId}/jobs/${b}/claim`, { runnerId: "rB", claimKey: "k".repeat(32) });
      assert.equal(leased.body.claimed, true, leased.text);
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/${a}?append=true&offset=0&runnerId=rA`, "kept\n")).status, 200);

      const snapshot = async () => ({
        jobs: await sql(on.db!.url, "SELECT job_id, status, runner_id, log_bytes, attempts FROM jobs WHERE run_id = $1 ORDER BY job_id", [runId]),
        chunks: await sql(on.db!.url, "SELECT job_id, count(*) AS n FROM log_chunks WHERE run_id = $1 GROUP BY job_id ORDER BY job_id", [runId]),
        runs: await sql(on.db!.url, "SELECT count(*) AS n FROM runs WHERE run_id LIKE 'unread-missing%'"),
      });
      const before = await snapshot();

      const refused: [string, Record<string, string>, number, string, RegExp][] = [
        [`/v1/runs/unread-missing/logs/${a}`, {}, 404, "NOT_FOUND", /^Run not found$/],
        [`/v1/runs/${runId}/logs/nope?append=true&offset=0&runnerId=rA`, {}, 404, "NOT_FOUND", /^Job not found$/],
        [`/v1/runs/${runId}/logs/${a}?append=true&offset=5&runnerId=rX`, {}, 409, "CONFLICT", /not running on runner rX \(running on rA\)/],
        [`/v1/runs/${runId}/logs/${b}?append=true&offset=0&runnerId=rB`, {}, 403, "LEASE_REFUSED", /presented no lease secret/],
        [`/v1/runs/${runId}/logs/${b}?append=true&offset=0&runnerId=rB`, { "X-Orun-Lease": "wrong" }, 403, "LEASE_REFUSED", /not the job's current lease/],
        // A v2 replace naming no runner, of a leased job.
        [`/v1/runs/${runId}/logs/${b}`, {}, 403, "LEASE_REFUSED", /presented no lease secret/],
      ];
      for (const [path, headers, status, code, error] of refused) {
        const res = await partialUpload(on.backend.url, on.token, path, headers);
        assert.deepEqual([res.status, res.body.code], [status, code], `${path}: ${JSON.stringify(res.body)}`);
        assert.match(String(res.body.error), error, path);
        // Kept alive, the connection would have the server drain the unread body (up to the log cap) before its next request.
        assert.equal(res.connection, "close", `${path}: the refusal closes the connection`);
      }
      assert.deepEqual(await snapshot(), before, "no job, log or run row changed");

      // The holder's own append is still read and stored, and the server still answers on fresh connections.
      const lease = String(leased.body.leaseToken);
      const ok = await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/logs/${b}?append=true&offset=0&runnerId=rB`, "mine\n", { "X-Orun-Lease": lease });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/${b}`)).text, "mine\n");
    });
  });

  describe(`a log upload declaring more than --max-log-size on ${kind}`, () => {
    const on = backendOnStore(kind, { requestTimeoutMs: 10_000, maxLogBytes: 1000 }, "acme/declared");

    it("is refused (413) before its body is read, closing the connection", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const runId = `declared-${Date.now()}`;
      assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId })).status, 201);
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "ra" })).body.claimed, true);
      const res = await partialUpload(on.backend.url, on.token, `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=ra`, {}, 50 * 1024 * 1024);
      assert.deepEqual([res.status, res.body.code], [413, "PAYLOAD_TOO_LARGE"], JSON.stringify(res.body));
      assert.equal(res.connection, "close", "the 413 leaves the connection open: the server drains the 50 MiB nobody reads");
    });
  });

  describe(`log bodies received at once on ${kind}`, () => {
    // Room for two 1000-byte bodies at a time; a namespace's share (a quarter) holds one.
    const on = backendOnStore(kind, { requestTimeoutMs: 10_000, maxLogBytes: 1000, maxBufferedLogBytes: 2000 }, "acme/budget");

    it("past the budget an upload is a 503 before its body is read; the others are stored, and room comes back", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const runId = `budget-${Date.now()}`;
      // One job in each of three namespaces: the backend-wide budget is what turns the third away, not a share.
      const tokens: Record<string, string> = { a: on.token, b: await tokenFor(on.backend.store, "acme/budget-b"), c: await tokenFor(on.backend.store, "acme/budget-c") };
      const call = (job: string, method: string, path: string, body?: unknown) => api(on.backend.url, tokens[job === "d" ? "a" : job]!, method, path, body);
      for (const [job, others] of [["a", ["d"]], ["b", []], ["c", []]] as const) {
        assert.equal((await call(job, "POST", "/v1/runs", { plan: planOf(Object.fromEntries([job, ...others].map((j) => [j, []]))), runId })).status, 201);
        for (const claimed of [job, ...others]) assert.equal((await call(claimed, "POST", `/v1/runs/${runId}/jobs/${claimed}/claim`, { runnerId: `r${claimed}` })).body.claimed, true);
      }
      const path = (job: string) => `/v1/runs/${runId}/logs/${job}?append=true&offset=0&runnerId=r${job}`;
      // Three bodies of 1000 bytes, 10 sent of each: whichever is third to be let in finds the budget taken.
      const answers = ["a", "b", "c"].map((job) => partialUpload(on.backend.url, tokens[job]!, path(job), {}, 1000, 10).then((answer) => ({ job, answer })));
      const first = await Promise.race(answers);
      assert.deepEqual([first.answer.status, first.answer.body.code], [503, "UNAVAILABLE"], JSON.stringify(first.answer.body));
      assert.match(String(first.answer.body.error), /^Too many log bytes being received at once \(\d+ of 2000\); retry shortly$/);
      assert.equal(first.answer.connection, "close", "the 503 closes the connection: its body is never read");
      for (const job of ["a", "b", "c"].filter((j) => j !== first.job)) pending.get(path(job))!();
      for (const { job, answer } of await Promise.all(answers)) {
        if (job !== first.job) assert.equal(answer.status, 200, `${job}: ${JSON.stringify(answer.body)}`);
      }
      const refusedLog = await sql<{ log_bytes: number | string }>(on.db!.url, "SELECT log_bytes FROM jobs WHERE run_id = $1 AND job_id = $2", [runId, first.job]);
      assert.equal(Number(refusedLog[0]!.log_bytes), 0, "the refused upload wrote nothing");
      // The budget, and each namespace's share, is free again.
      assert.equal((await call("d", "POST", path("d"), "x".repeat(1000))).status, 200);
      assert.equal((await call(first.job, "POST", path(first.job), "y".repeat(1000))).status, 200);
    });
  });
}
