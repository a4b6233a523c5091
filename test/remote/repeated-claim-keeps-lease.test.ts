// (rev28) a claim the client sent twice (its first attempt timed out, BackendClient retries it with the same claimKey)
// re-issues the job's lease secret each time the backend decides a copy (coordinator.ts reclaim → issueLease): the
// copy decided last wins. When the retry is decided first — the first copy was held up on its way (a slow proxy, a
// queue for the run's lock) — the client keeps the retry's secret, and the first copy, decided after, replaces it with
// one nobody reads. The runner's own heartbeats, log appends and result are then refused 403 LEASE_REFUSED ("taken
// over by another claim"): it abandons a job no other runner took, exits 1, and the job sits `running` until its lease lapses.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { api, planOf, startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { BackendClient } from "../../src/remote/client.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

/**
 * Forwards to `target`, but holds the first claim it sees until a second claim has been answered — the order in which
 * a slow first copy of a retried request reaches the backend after its retry.
 */
async function reorderingRelay(target: string): Promise<{ url: string; heldDecided: Promise<void>; close: () => Promise<void> }> {
  let held: (() => void) | undefined;
  let decided!: () => void;
  const heldDecided = new Promise<void>((resolve) => (decided = resolve));
  let claims = 0;
  const forward = (req: http.IncomingMessage, body: Buffer, res?: http.ServerResponse, done?: () => void) => {
    const upstream = http.request(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("end", () => {
        if (res && !res.destroyed) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(chunks));
        }
        done?.();
      });
    });
    upstream.on("error", () => res?.destroy());
    upstream.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (!/\/claim$/.test(req.url ?? "")) return forward(req, body, res);
      claims += 1;
      // The first copy: the client gives up on it (its timeout) and retries; it reaches the backend after the retry.
      if (claims === 1) return void (held = () => forward(req, body, undefined, decided));
      forward(req, body, res, () => held?.());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, heldDecided, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

describe("a claim retried by the client", () => {
  let db: TestDatabase;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let token: string;
  before(async () => {
    db = (await testDatabase("sqlite")) as TestDatabase;
    backend = await startTestBackend(db.url);
    token = await tokenFor(backend.store, "acme/widgets");
  });
  after(async () => {
    killAllChildren();
    await backend.stop();
    await db.cleanup();
  });

  it("leaves the runner a lease secret the backend takes, whichever copy the backend decides last", { timeout: 60_000 }, async () => {
    const runId = `rev28b-claim-${Date.now()}`;
    const created = await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId });
    assert.equal(created.status, 201, created.text);
    const relay = await reorderingRelay(backend.url);
    try {
      // A short per-attempt timeout: the held first copy times out and the client sends the claim again.
      const client = new BackendClient({ baseUrl: relay.url, auth: { kind: "token", token: async () => token }, requestTimeoutMs: 500, onRetrying: () => undefined });
      const claimed = await client.claim(runId, "a", "r1");
      assert.equal(claimed.claimed, true);
      assert.ok(claimed.leaseToken, "this backend gives a lease secret");
      // Let the held first copy reach the backend and be decided (its answer goes nowhere), then beat as the holder.
      await relay.heldDecided;
      const beat = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/a/heartbeat`, { runnerId: "r1" }, { "X-Orun-Lease": claimed.leaseToken! });
      assert.equal(beat.status, 200, `the holder's own heartbeat, with the secret its claim answered: ${beat.text}`);
      assert.equal(beat.body.ok, true, beat.text);
    } finally {
      await relay.close();
    }
  });

  it("an orun runner whose claim was retried runs its job and records its result (exit 0)", { timeout: 180_000 }, async (t) => {
    const dir = await tempDir("orun-rev28b-claim-");
    t.after(() => removeDir(dir));
    const relay = await reorderingRelay(backend.url);
    try {
      const runId = `rev28b-cli-${Date.now()}`;
      const planFile = await writePlan(dir, "retried-claim", [{ id: "app@dev.build", run: "echo built" }]);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: relay.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      // The client's first claim attempt times out after its 30 s request timeout; the retry is answered first.
      const ran = await spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env }).done;
      const job = await api<{ status: string }>(backend.url, token, "GET", `/v1/runs/${runId}/jobs/${encodeURIComponent("app@dev.build")}/status`);
      assert.equal(ran.code, 0, ran.output);
      assert.equal(job.body.status, "success", job.text);
    } finally {
      await relay.close();
    }
  });
});
