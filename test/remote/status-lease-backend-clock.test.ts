// `orun status --remote-state` counts a running job's lease (and the run's and job's times) on the backend's clock,
// which the backend sends with the run's jobs: the lease end is the backend's (its heartbeat time plus its lease), so
// counting it on the clock of the machine running status said "lease lapsed 8m ago" of a live lease when that clock
// was 10 minutes ahead of the backend's, and nothing of a lapsed one when it was behind. The backend runs here with
// an injected clock, off from this machine's; `orun status` is a real process over loopback HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const MINUTE = 60_000;

describe("status --remote-state on a backend whose clock is off from this machine's", () => {
  let db: TestDatabase;
  let backend: TestBackend;
  let token: string;
  // How far the backend's clock is from this machine's (set by each test before it reads the run).
  let skewMs = 0;

  before(async () => {
    db = (await testDatabase("sqlite"))!;
    // No sweep: a lease lapsed on the backend's clock stays on its job, as between two sweeps.
    backend = await startTestBackend(db.url, { leaseMs: 2 * MINUTE, sweepIntervalMs: 3_600_000, now: () => new Date(Date.now() + skewMs) });
    token = await tokenFor(backend.store, "acme/widgets");
  });
  after(async () => {
    await backend?.stop();
    await db?.cleanup();
  });

  /** A run whose one job runner-1 has just claimed, with a lease secret (its lease runs 2 minutes from now on the backend's clock). */
  async function runningJob(runId: string): Promise<void> {
    const created = await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ "a@dev.build": [] }), runId });
    assert.equal(created.status, 201, created.text);
    const claimed = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("a@dev.build")}/claim`, { runnerId: "runner-1", claimKey: "runner-1-claim-key-0123456789" });
    assert.equal(claimed.status, 200, claimed.text);
  }

  async function status(runId: string): Promise<string> {
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", NO_COLOR: "1" };
    const shown = await spawnOrun(["status", "--exec-id", runId, "--remote-state", "--backend-url", backend.url], { env }).done;
    assert.equal(shown.code, 0, shown.output);
    return shown.output;
  }

  it("a live lease is not said to have lapsed when this machine's clock is ahead of the backend's", async () => {
    skewMs = -10 * MINUTE;
    await runningJob("skew-behind");
    const shown = await status("skew-behind");
    assert.match(shown, /● a@dev\.build +running +\S+ +on runner-1\n/);
    assert.doesNotMatch(shown, /lease lapsed/);
    // The job's time too is counted on the backend's clock: seconds, not the 10 minutes between the clocks.
    assert.doesNotMatch(shown, /running +\d+m(?!s)/);
  });

  it("a lease lapsed on the backend's clock is said to have lapsed, and how long ago, when this machine's is behind", async () => {
    skewMs = 0;
    await runningJob("skew-ahead");
    // The backend's clock moves 10 minutes on: its lease (2 minutes) lapsed 8 minutes ago there, none here.
    skewMs = 10 * MINUTE;
    const shown = await status("skew-ahead");
    assert.match(shown, /● a@dev\.build +running +10m\d+s +on runner-1 · lease lapsed 8m\d+s ago; another runner can take it over\n/);
  });
});
