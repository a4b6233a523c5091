// `orun logs --remote-state --follow` as a real process against a real backend
// on loopback, seen through a recording proxy: every poll asks only for the
// bytes a log gained (`?offset=`), an unchanged log is not read at all, every
// byte is printed once, and a takeover shows the new attempt's log from its
// start after a line saying so. The test plays the runners over the HTTP API,
// and moves on only once the follower printed what it waits for.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, type OrunProcess } from "./processes.js";
import { claimJob, type Clock } from "../../src/remote/backend/coordinator.js";
import { BackendClient } from "../../src/remote/client.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";

interface Exchange {
  method: string;
  url: string;
  /** Bytes of the response body. */
  bytes: number;
}

/** A pass-through HTTP proxy that records each exchange (what the follower asked for and what it downloaded). */
async function recordingProxy(target: string): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      let bytes = 0;
      answer.on("data", (d: Buffer) => (bytes += d.length));
      answer.on("end", () => exchanges.push({ method: req.method ?? "", url: req.url ?? "", bytes }));
      answer.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(check: () => boolean, what: string, proc?: OrunProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}${proc ? `:\n${proc.output()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe("orun logs --remote-state --follow", () => {
  let db: TestDatabase;
  let backend: TestBackend;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let token: string;
  let dir: string;
  const ns = repositoryIdFor("acme/follow");

  before(async () => {
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 }, sweepIntervalMs: 3_600_000 });
    proxy = await recordingProxy(backend.url);
    token = await tokenFor(backend.store, "acme/follow");
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-follow-"));
  });
  after(async () => {
    killAllChildren();
    await proxy?.close();
    await backend?.stop();
    await db?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("downloads each byte once, skips unchanged logs, prints every byte once and restarts a taken-over job's log from its start", async () => {
    const runId = "follow-1";
    const call = (method: string, p: string, body?: unknown) => api(backend.url, token, method, p, body);
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.build": [], "b@dev.build": [] }), runId })).status, 201);
    const sizes = new Map<string, number>();
    const write = async (jobId: string, runnerId: string, content: Buffer) => {
      const res = await fetch(`${backend.url}/v1/runs/${runId}/logs/${enc(jobId)}?append=true&offset=${sizes.get(jobId) ?? 0}&runnerId=${runnerId}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        body: new Uint8Array(content),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      sizes.set(jobId, (JSON.parse(text) as { bytes: number }).bytes);
    };
    for (const job of ["a@dev.build", "b@dev.build"]) assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r1" })).body.claimed, true);
    // A large first attempt: re-downloading it on every poll would show in the byte count.
    const bulk = Array.from({ length: 400 }, (_, i) => `bulk line ${i} ${"·".repeat(40)}\n`).join("");
    await write("a@dev.build", "r1", Buffer.from(`=== s1 ===\nfirst-piece\n${bulk}`));
    const rocket = Buffer.from("rocket 🚀 landed\n");
    await write("b@dev.build", "r1", rocket.subarray(0, 9)); // ends inside the emoji's four bytes

    const follower = spawnOrun(["logs", "--remote-state", "--follow"], {
      cwd: dir,
      env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: proxy.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" },
    });
    const readOf = (job: string) => proxy.exchanges.some((e) => new URL(e.url, proxy.url).pathname.endsWith(`/logs/${enc(job)}`));
    await until(() => follower.output().includes("first-piece") && readOf("b@dev.build"), "the follower shows a's log and reads b's", follower);
    assert.doesNotMatch(follower.output(), /rocket/, "a line still being written waits for its end");
    await write("b@dev.build", "r1", rocket.subarray(9));
    await write("a@dev.build", "r1", Buffer.from("second-piece\n"));
    await until(() => follower.output().includes("second-piece") && follower.output().includes("landed"), "the follower shows what the logs gained", follower);

    // Idle polls: the listing says nothing changed, so no log is read.
    const logReads = () => proxy.exchanges.filter((e) => e.url.includes("/logs/")).length;
    const polls = () => proxy.exchanges.filter((e) => e.url.endsWith("/jobs")).length;
    const [readsBefore, pollsBefore] = [logReads(), polls()];
    await until(() => polls() >= pollsBefore + 2, "two idle polls", follower);
    assert.equal(logReads(), readsBefore, "no log is downloaded while none changes");

    // r1's lease is gone; r2 takes job a over and its log starts afresh.
    const expired: Clock = { now: new Date(Date.now() + 3_600_000), leaseMs: 1 };
    assert.equal((await backend.store.mutateRun(ns, runId, { jobIds: ["a@dev.build"], deps: true }, (s) => claimJob(s, "a@dev.build", "r2", expired)))?.takeover, true);
    sizes.set("a@dev.build", 0);
    await write("a@dev.build", "r2", Buffer.from("=== s1 ===\nretry-output\n"));
    await until(() => follower.output().includes("retry-output"), "the follower shows the new attempt", follower);
    for (const [job, runner] of [["a@dev.build", "r2"], ["b@dev.build", "r1"]]) {
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: runner, status: "success" })).status, 200);
    }
    const { code, output } = await follower.done;
    assert.equal(code, 0, output);

    const out = output;
    assert.equal(count(out, "── a@dev.build\n"), 1, out);
    assert.equal(count(out, "── b@dev.build\n"), 1, out);
    assert.equal(count(out, "first-piece"), 1, out);
    assert.equal(count(out, "bulk line 399 "), 1, out);
    assert.equal(count(out, "second-piece"), 1, out);
    assert.equal(count(out, "rocket 🚀 landed\n"), 1, "a character split between two appends is printed whole");
    assert.equal(count(out, "── a@dev.build (its log restarted: another runner took the job over)\n"), 1, out);
    assert.equal(count(out, "retry-output"), 1, out);
    assert.ok(out.indexOf("second-piece") < out.indexOf("its log restarted") && out.indexOf("its log restarted") < out.indexOf("retry-output"), out);
    assert.doesNotMatch(out, /\uFFFD/, "no replacement characters");

    const reads = proxy.exchanges.filter((e) => e.url.includes("/logs/"));
    assert.ok(reads.every((e) => /[?&]offset=\d+/.test(e.url)), `every log read names its offset: ${reads.map((e) => e.url).join(", ")}`);
    const firstAttempt = Buffer.byteLength(`=== s1 ===\nfirst-piece\n${bulk}second-piece\n`);
    const downloaded = reads.reduce((sum, e) => sum + e.bytes, 0);
    const logged = firstAttempt + rocket.length + Buffer.byteLength("=== s1 ===\nretry-output\n");
    // Each byte once; the restart may read the new attempt's log twice (once at the old offset, then from 0).
    assert.ok(downloaded >= logged && downloaded <= logged + Buffer.byteLength("=== s1 ===\nretry-output\n"), `downloaded ${downloaded} bytes for ${logged} logged`);
  });

  it("--step follows one step's sections across appends, and prints a last line without a newline when the run ends", async () => {
    const runId = "follow-step";
    const call = (method: string, p: string, body?: unknown) => api(backend.url, token, method, p, body);
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.build": [] }), runId })).status, 201);
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a%40dev.build/claim`, { runnerId: "r1" })).body.claimed, true);
    let offset = 0;
    const write = async (text: string) => {
      const res = await call("POST", `/v1/runs/${runId}/logs/a%40dev.build?append=true&offset=${offset}&runnerId=r1`, text);
      assert.equal(res.status, 200, res.text);
      offset = res.body.bytes as number;
    };
    await write("=== s1 ===\nbuild-output\n=== s2 ===\ntest-out");
    const follower = spawnOrun(["logs", "--remote-state", "--follow", "--step", "s2"], {
      cwd: dir,
      env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" },
    });
    await until(() => follower.output().includes("=== s2 ===\n"), "the follower shows the step's header", follower);
    await write("put-done\n=== s3 ===\nlint-output\n=== s2 ===\nno newline at the end");
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a%40dev.build/update`, { runnerId: "r1", status: "success" })).status, 200);
    const { code, output } = await follower.done;
    assert.equal(code, 0, output);
    assert.equal(output, "── a@dev.build\n=== s2 ===\ntest-output-done\n=== s2 ===\nno newline at the end");
  });

  it("orun logs and status against a v2 backend (wrapped run, jobs with logRef null, no log sizes) read the jobs' logs anyway", async () => {
    const at = "2026-01-01T00:00:00.000Z";
    const job = (jobId: string, status: string) => ({ jobId, component: jobId.split("@")[0], status, deps: [], runnerId: "gha-1-1-run", startedAt: at, finishedAt: at, lastError: null, heartbeatAt: at, logRef: null });
    const v2 = http.createServer((req, res) => {
      const json = (status: number, body: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      const url = decodeURIComponent(req.url ?? "");
      if (url === "/v1/runs/v2-run") {
        return json(200, { run: { runId: "v2-run", namespace: { namespaceId: "1", namespaceSlug: "" }, status: "failed", planChecksum: "abc123def456", createdAt: at, updatedAt: at, jobTotal: 2, jobDone: 1, jobFailed: 1 } });
      }
      if (url === "/v1/runs/v2-run/jobs") return json(200, { jobs: [job("a@dev.x", "success"), job("b@dev.x", "failed")] });
      if (url === "/v1/runs/v2-run/logs/a@dev.x") return res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("=== main ===\nhello from a\n");
      json(404, { error: "Log not found", code: "NOT_FOUND" });
    });
    await new Promise<void>((resolve) => v2.listen(0, "127.0.0.1", resolve));
    try {
      const e = { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_BACKEND_URL: `http://127.0.0.1:${(v2.address() as AddressInfo).port}` };
      const logs = await spawnOrun(["logs", "--remote-state", "--exec-id", "v2-run"], { env: e }).done;
      assert.equal(logs.code, 0, logs.output);
      assert.match(logs.output, /✓ a@dev\.x \(success on gha-1-1-run\)\n=== main ===\nhello from a\n/);
      assert.doesNotMatch(logs.output, /No logs/);
      const status = await spawnOrun(["status", "--remote-state", "--exec-id", "v2-run"], { env: e }).done;
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /State: failed/);
      assert.match(status.output, /✗ b@dev\.x\s+failed/);
    } finally {
      await new Promise((resolve) => v2.close(resolve));
    }
  });

  it("against a backend that ignores ?offset= (v2), the client cuts the whole log itself and reports no attempt", async () => {
    const v2 = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("0123456789");
    });
    await new Promise<void>((resolve) => v2.listen(0, "127.0.0.1", resolve));
    try {
      const client = new BackendClient({ baseUrl: `http://127.0.0.1:${(v2.address() as AddressInfo).port}`, auth: { kind: "token", token: async () => "t" } });
      const slice = await client.readLogFrom("r", "j", 4);
      assert.deepEqual([slice.content.toString(), slice.size, slice.attempt], ["456789", 10, undefined]);
      const past = await client.readLogFrom("r", "j", 40);
      assert.deepEqual([past.content.length, past.size], [0, 10]);
    } finally {
      await new Promise((resolve) => v2.close(resolve));
    }
  });
});
