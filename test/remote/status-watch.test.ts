// `orun status --remote-state --watch` against a backend that goes away and
// comes back (a real `orun backend serve` process stopped and restarted on the
// same port and database): the watcher says so within a few polls — not after
// the client's two-minute retry budget — keeps polling, picks the run up again
// when the backend returns, and ends when the run finishes.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { openStore } from "../../src/remote/backend/store/index.js";
import { api, enc, planOf, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, type BackendProcess } from "./processes.js";
import { RESTART_HOST, restartablePort, until } from "../support/wait.js";

describe("orun status --watch across a backend outage", () => {
  let db: TestDatabase | undefined;
  let server: BackendProcess | undefined;
  after(async () => {
    killAllChildren();
    await server?.stop().catch(() => undefined);
    await db?.cleanup();
  });

  it("reports the outage within a few polls, keeps polling, recovers, and ends with the run", async () => {
    db = (await testDatabase("sqlite"))!;
    // Stopped and started again on its port: one no other test can take meanwhile.
    const port = await restartablePort();
    server = await startBackendProcess(db.url, ["--host", RESTART_HOST], port);
    const store = await openStore(db.url);
    const token = await tokenFor(store, "acme/widgets").finally(() => store.close());
    const runId = `watch-${Date.now()}`;
    const url = server.url;
    assert.equal((await api(url, token, "POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);

    const watch = spawnOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", runId, "--watch", "--interval", "200ms"], { env: { ORUN_TOKEN: token, GITHUB_ACTIONS: "" } });
    await until(() => /State: running/.test(watch.output()), "the first status", 30_000);

    await server.stop();
    server = undefined;
    const wentAway = Date.now();
    await until(() => /Error fetching remote state: .*polls failed since/.test(watch.output()), "the outage to be reported", 15_000);
    const reportedAfter = Date.now() - wentAway;
    assert.ok(reportedAfter < 10_000, `reported ${reportedAfter} ms after the backend went away`);
    assert.match(watch.output(), /Error fetching remote state: orun backend at http:\/\/127\.0\.0\.2:\d+ is unavailable: ECONNREFUSED.* — 3 polls failed since \d\d:\d\d:\d\d UTC; still polling every 0\.2s/);
    assert.equal(watch.child.exitCode, null, "the watcher keeps going");

    server = await startBackendProcess(db.url, ["--host", RESTART_HOST], port);
    await until(() => /is answering again\.\n[\s\S]*State: running/.test(watch.output()), "the watcher to pick the run up again", 30_000);

    assert.equal((await api(url, token, "POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r" })).body.claimed, true);
    assert.equal((await api(url, token, "POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/update`, { runnerId: "r", status: "success" })).status, 200);
    const done = await watch.done;
    assert.equal(done.code, 0, done.output);
    assert.match(done.output, /State: completed/);
    assert.equal((done.output.match(/Error fetching remote state/g) ?? []).length, 1, "a log gets the error once, not on every poll");
  });
});
