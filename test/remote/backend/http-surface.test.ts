// The backend's HTTP surface against hostile or flaky clients: claim and
// heartbeat bodies are capped far below a plan's cap (updates: long-error), a
// field of the wrong type is named as such, a client that sends its body
// too slowly (slowloris) is cut off with 408 while others are served, and
// requests repeated after a lost answer — claim, update, log append — count
// once, on both stores (an append is a repeat only with the same bytes). JSON
// nested deeper than the backend can write back is refused, not a 500.
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

interface JobRow {
  jobId: string;
  status: string;
  attempts: number;
  logBytes: number;
}

/** Sends headers and the first byte of a 100-byte body, then nothing; resolves with the status line the server ends it with. */
function slowBody(url: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(new URL(url).port), "127.0.0.1", () => {
      socket.write(`POST /v1/runs/r/jobs/a%40dev.x/heartbeat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    });
    let out = "";
    socket.on("data", (d: Buffer) => (out += d.toString()));
    socket.on("close", () => resolve(out.split("\r\n")[0] ?? ""));
    socket.on("error", () => undefined);
  });
}

describe("the HTTP surface against hostile clients", () => {
  const on = backendOnStore("sqlite", { requestTimeoutMs: 1000 });

  it("refuses a plan-sized claim body, names a runnerId of the wrong type, and cuts off a slow body with 408", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "r" })).status, 201);
    const big = await call("POST", `/v1/runs/r/jobs/${enc("a@dev.x")}/claim`, JSON.stringify({ runnerId: "r1", pad: "x".repeat(100 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error, "Request body exceeds 65536 bytes, the cap on a claim (it holds only runnerId)");
    assert.equal((await call("GET", `/v1/runs/r/jobs/${enc("a@dev.x")}/status`)).body.status, "pending", "nothing was claimed");
    const typed = await call("POST", `/v1/runs/r/jobs/${enc("a@dev.x")}/claim`, { runnerId: 5 });
    assert.deepEqual([typed.status, typed.body.error], [400, "Invalid runnerId: must be a string, got number"]);

    const update = (extra: Record<string, unknown>) => call("POST", `/v1/runs/r/jobs/${enc("a@dev.x")}/update`, { runnerId: "r1", status: "failed", ...extra });
    assert.equal((await update({ tolerated: "yes" })).body.error, "tolerated must be a boolean");
    assert.equal((await update({ error: { message: "x" } })).body.error, "error must be a string");
    assert.equal((await call("GET", `/v1/runs/r/runnable?job=${enc("a@dev.x")}&waitMs=soon`)).body.error, "waitMs must be a non-negative integer (milliseconds)");

    const started = Date.now();
    const slow = Array.from({ length: 20 }, () => slowBody(on.backend.url, on.token));
    assert.equal((await call("GET", "/v1/runs/r")).status, 200, "others are served meanwhile");
    const lines = await Promise.all(slow);
    assert.deepEqual(new Set(lines), new Set(["HTTP/1.1 408 Request Timeout"]));
    assert.ok(Date.now() - started < 10_000, `cut off after the request timeout, not Node's 5 minutes (${Date.now() - started} ms)`);
  });

  it("refuses JSON nested too deep to store with a 400 naming the depth, not a 500, and stores no run", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    // JSON.parse takes 50,000 levels; writing the plan back out to store it overflowed the stack.
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const res = await call("POST", "/v1/runs", `{"runId":"deep","plan":{"checksum":"c","jobs":[{"jobId":"j","component":"c","deps":[],"steps":${deep}}]}}`);
    assert.deepEqual([res.status, res.body.code, res.body.error], [400, "INVALID_REQUEST", "Invalid JSON body: nested deeper than 512 levels"], res.text);
    assert.equal((await call("GET", "/v1/runs/deep")).status, 404, "no run stored");
    // Brackets inside strings are text, not nesting.
    const textual = await call("POST", "/v1/runs", { runId: "brackets", plan: { ...planOf({ j: [] }), note: "[{".repeat(2_000) } });
    assert.equal(textual.status, 201, textual.text);
  });
});

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`requests repeated after a lost answer on ${kind}`, () => {
    const on = backendOnStore(kind);

    it("a repeated claim, update or log append counts once; an append out of order is refused naming the offsets", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
      const a = enc("a@dev.x");
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), runId: "again" })).status, 201);
      for (let i = 0; i < 2; i++) assert.equal((await call("POST", `/v1/runs/again/jobs/${a}/claim`, { runnerId: "r1" })).body.claimed, true, `claim ${i + 1}`);
      const append = (offset: number, text: string) => call("POST", `/v1/runs/again/logs/${a}?append=true&offset=${offset}&runnerId=r1`, text);
      for (let i = 0; i < 2; i++) assert.equal((await append(0, "one\n")).body.bytes, 4, `append ${i + 1}`);
      const other = await append(0, "uno\n");
      assert.deepEqual([other.status, other.body.error], [409, "Log of a@dev.x has 4 bytes, append expected offset 0"], "not a repeat: other bytes of the same length");
      const gap = await append(10, "three\n");
      assert.deepEqual([gap.status, gap.body.error], [409, "Log of a@dev.x has 4 bytes, append expected offset 10"]);
      assert.equal((await append(4, "two\n")).body.bytes, 8);
      for (let i = 0; i < 2; i++) assert.equal((await call("POST", `/v1/runs/again/jobs/${a}/update`, { runnerId: "r1", status: "success" })).status, 200, `update ${i + 1}`);

      const jobs = (await call<{ jobs: JobRow[] }>("GET", "/v1/runs/again/jobs")).body.jobs;
      assert.deepEqual(jobs.map((j) => [j.jobId, j.status, j.attempts, j.logBytes]), [["a@dev.x", "success", 1, 8], ["b@dev.x", "pending", 0, 0]]);
      assert.equal((await call("GET", `/v1/runs/again/logs/${a}`)).text, "one\ntwo\n");
      const run = (await call<{ jobDone: number; jobTotal: number; status: string }>("GET", "/v1/runs/again")).body;
      assert.deepEqual([run.jobDone, run.jobTotal, run.status], [1, 2, "running"]);
    });
  });
}
