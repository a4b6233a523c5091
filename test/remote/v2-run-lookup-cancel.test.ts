// A runner whose plan a v2 backend refuses ("Run exists with different plan checksum", naming no plan) asks
// GET /v1/runs/R for the run's plan; Ctrl-C during that request stops it at once (exit 130). It used to have no
// signal: a backend that did not answer held the runner for the request timeout and the retry budget (minutes).
// Real processes: the v2 stand-in on loopback behind a relay that never answers that request, `orun run` runners.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { until } from "../support/wait.js";
import { killAllChildren, spawnOrun } from "./processes.js";
import { startSelectiveOutageRelay, type SelectiveOutageRelay } from "./selective-outage-relay.js";
import { startV2Backend, type V2Backend } from "./v2-backend.js";

const job = (id: string, run: string): PlanJob => {
  const [component, rest] = id.split("@");
  const [environment, name] = rest.split(".");
  return { id, name, component, environment, dependsOn: [], steps: [{ id: "main", phase: "main", run }] };
};
const plan = (jobs: PlanJob[]): Plan => ({ apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "lookup" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs });

describe("a runner refused by a v2 backend looks up the run's plan", () => {
  let dir: string;
  let v2: V2Backend;
  let relay: SelectiveOutageRelay;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-v2-lookup-"));
    v2 = await startV2Backend();
    relay = await startSelectiveOutageRelay(v2.url);
  });
  after(async () => {
    killAllChildren();
    relay?.close();
    await v2?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("and Ctrl-C during that lookup stops it at once", async () => {
    const env = { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "" };
    await fs.writeFile(path.join(dir, "first.json"), JSON.stringify(plan([job("a@dev.x", "echo a-ran")])));
    await fs.writeFile(path.join(dir, "other.json"), JSON.stringify(plan([job("a@dev.x", "echo a-ran"), job("b@dev.x", "echo b-ran")])));
    const first = await spawnOrun(["run", "first.json", "--remote-state", "--backend-url", relay.url, "--exec-id", "lookup-1"], { cwd: dir, env }).done;
    assert.equal(first.code, 0, first.output);

    let asked = 0;
    relay.stall = (method, url) => method === "GET" && url === "/v1/runs/lookup-1" && ++asked > 0;
    const other = spawnOrun(["run", "other.json", "--remote-state", "--backend-url", relay.url, "--exec-id", "lookup-1"], { cwd: dir, env });
    await until(() => asked > 0, "the runner to ask for run lookup-1");
    const interrupted = Date.now();
    other.child.kill("SIGINT");
    const limit = setTimeout(() => other.child.kill("SIGKILL"), 60_000);
    const stopped = await other.done.finally(() => clearTimeout(limit));
    assert.equal(stopped.code, 130, stopped.output);
    // Timed to when the runner dropped the stalled lookup, not to its exit (which took up to 17.8 s under load):
    // within half the 30 s request timeout it would otherwise wait out.
    assert.ok(relay.stallsDropped.length >= 1, "the stalled lookup was dropped");
    const took = relay.stallsDropped[0]! - interrupted;
    assert.ok(took < 15_000, `the lookup was dropped ${took} ms after Ctrl-C`);
    assert.doesNotMatch(stopped.output, /b-ran/);
  });
});
