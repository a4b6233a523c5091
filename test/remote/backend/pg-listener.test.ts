// A PostgreSQL backend's change notifications (LISTEN) survive a database
// outage: after the connection drops and the database stays unreachable for a
// while, the listener keeps reconnecting, so a long-poll again wakes the
// moment a job finishes instead of only at its slow re-check. The outage is
// real: the backend reaches PostgreSQL through a TCP relay the test stops.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, sql, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "../helpers.js";
import { RESTART_HOST, restartablePort, until } from "../../support/wait.js";

/**
 * A TCP relay to `target` on RESTART_HOST that can be cut (every connection dropped, new ones refused) and restored on
 * the same port, one no other test can take while it is cut.
 */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const port = await restartablePort();
  const open = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, RESTART_HOST, resolve));
  };
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: open,
  };
}

describe("PostgreSQL change notifications across an outage", () => {
  let db: TestDatabase | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let backend: TestBackend | undefined;
  before(async () => {
    db = await testDatabase("postgres");
  });
  after(async () => {
    await backend?.stop();
    await relay?.cut().catch(() => undefined);
    await db?.cleanup();
  });

  it("the listener reconnects once the database is back, and a long-poll wakes soon after the update again, not at its slow re-check", async (t) => {
    if (!db) return t.skip("PostgreSQL unavailable");
    const direct = new URL(db.url);
    relay = await startRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(db.url);
    relayed.hostname = RESTART_HOST;
    relayed.port = String(relay.port);
    // Only a notification can wake the long-poll quickly: its re-check is slower than the whole test.
    backend = await startTestBackend(relayed.toString(), { longPollRecheckMs: 60_000, maxLongPollMs: 60_000 });
    const token = await tokenFor(backend.store, "acme/pg-listener");
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(backend!.url, token, method, path, body);
    const runId = `listener-${Date.now()}`;
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [], b: ["a"] }), runId })).status, 201);
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "r1" })).body.claimed, true);

    // The backend's LISTENing connection, as the database sees it (its last query stays shown while it idles).
    const schema = new URL(db.url).searchParams.get("schema") ?? "";
    const listening = async () =>
      (await sql<{ pid: number }>(db!.url, "SELECT pid FROM pg_stat_activity WHERE state = 'idle' AND query LIKE 'LISTEN %' AND query LIKE $1", [`%${schema}%`])).map((row) => row.pid);
    const before = await listening();
    assert.equal(before.length, 1, "one listener before the outage");

    // The database is unreachable for longer than the listener's first reconnection attempt.
    await relay.cut();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await relay.restore();
    // The listener comes back on a new connection (its retries back off to a few seconds at most; more on a loaded machine).
    await until(async () => (await listening()).some((pid) => !before.includes(pid)), "the listener to LISTEN again", 60_000);

    const started = Date.now();
    const poll = call<{ jobs: string[] }>("GET", `/v1/runs/${runId}/runnable?job=${enc("b")}&waitMs=20000`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The update goes through another connection to the database (as another replica's would).
    const other = await startTestBackend(db.url, {});
    try {
      const res = await api(other.url, token, "POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId: "r1", status: "success" });
      assert.equal(res.status, 200, res.text);
      const updatedAt = Date.now();
      const answer = await poll;
      assert.deepEqual(answer.body.jobs, ["b"]);
      const woke = Date.now() - updatedAt;
      // Far from the 20 s the poll would be held without a notification (its re-check is 60 s); 2 s was seen under load.
      assert.ok(woke < 10_000, `the long-poll answered ${woke} ms after the update (${Date.now() - started} ms in all)`);
    } finally {
      await other.stop();
    }
  });
});
