// A job's heartbeat goes on until its result is reported: its last log upload and its result may be retried through
// an outage longer than the lease, and the lease must not lapse meanwhile. Before, the heartbeat stopped when the
// job's steps ended; the backend released the job while its result was being retried, a second runner claimed it
// and ran it again, and the first runner's result was refused. The heartbeat's timer is stopped once the result is
// in: the runner exits promptly. A real backend on loopback, real `orun run` processes; the first runner talks to
// the backend through a relay that answers 503 to its result report for three leases (heartbeats pass).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makePlan } from "../runtime/helpers.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { startSelectiveOutageRelay, type SelectiveOutageRelay } from "./selective-outage-relay.js";
import { until } from "../support/wait.js";

// Long enough that a loaded machine does not lose it while the job runs (a heartbeat every 750 ms).
const LEASE_MS = 3_000;

describe("a job's heartbeat while its last log upload and result are retried", () => {
  let bed: RemoteTestbed;
  let relay: SelectiveOutageRelay;
  before(async () => {
    bed = await startRemoteTestbed("orun-heartbeat-end-", (issuer) => ({ oidc: { issuer: issuer.issuer }, leaseMs: LEASE_MS, sweepIntervalMs: 100 }));
    relay = await startSelectiveOutageRelay(bed.backend.url);
  });
  after(async () => {
    relay?.close();
    await bed?.close();
  });

  it("keeps the lease through a result-report outage three leases long: the job runs once, its result is recorded, and the runner exits promptly", { timeout: 90_000 }, async () => {
    const ran = path.join(bed.dir, "ran");
    const file = path.join(bed.dir, "plan.json");
    await fs.writeFile(file, JSON.stringify(makePlan([{ id: "app@dev.build", steps: [{ id: "build", run: `echo "$$" >> ${ran}; echo built` }] }], { name: "beat" })));
    const env = { ORUN_TOKEN: bed.token, ORUN_EXEC_ID: "beat-run", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "true", ORUN_BACKEND_RETRY_MS: "60000" };
    let outageEnds = Infinity;
    relay.down = (method, url) => method === "POST" && url.includes("/update") && Date.now() < outageEnds;
    const first = spawnOrun(["run", file, "--job", "app@dev.build"], { cwd: bed.dir, env: { ...env, ORUN_BACKEND_URL: relay.url } });
    await until(() => relay.requests.some((r) => r.status === 503), "the first runner's result report meets the outage", 30_000);
    const outageBegan = Date.now();
    outageEnds = outageBegan + 3 * LEASE_MS;
    // A second runner for the same job, straight to the backend: it may take the job only if the first one's lease lapses.
    const second = spawnOrun(["run", file, "--job", "app@dev.build"], { cwd: bed.dir, env: { ...env, ORUN_BACKEND_URL: bed.backend.url } });

    const firstDone = await first.done;
    assert.equal(firstDone.code, 0, firstDone.output);
    assert.doesNotMatch(firstDone.output, /not recorded|stopping it here|handed/, firstDone.output);
    const beatsDuringOutage = relay.requests.filter((r) => r.path.includes("/heartbeat") && r.at > outageBegan && r.at < outageEnds && r.status === 200);
    assert.ok(beatsDuringOutage.length >= 3, `${beatsDuringOutage.length} heartbeats reached the backend during the outage`);
    const secondDone = await second.done;
    assert.equal(secondDone.code, 0, secondDone.output);
    assert.match(secondDone.output, /already completed in remote run /, secondDone.output);
    assert.equal((await fs.readFile(ran, "utf8")).trim().split("\n").length, 1, "the job ran once");

    // The result went up after the outage; the runner exited soon after, its heartbeat stopped.
    const reported = relay.requests.find((r) => r.path.includes("/update") && r.status === 200);
    assert.ok(reported && reported.at >= outageEnds, JSON.stringify(relay.requests.filter((r) => !r.path.includes("/heartbeat"))));
    assert.ok(firstDone.exitedAt - reported.at < 3_000, `exited ${firstDone.exitedAt - reported.at} ms after its result was recorded`);
    assert.equal(relay.requests.filter((r) => r.path.includes("/heartbeat") && r.at > reported.at + 100).length, 0, "no heartbeat after the result");
  });
});
