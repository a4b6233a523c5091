// A runner that cannot run (its runner's prepare fails: no container engine) registers no remote run: the run is
// created when the runner is ready to take jobs, so no `running` run with every job pending is left behind, and a
// later runner with another plan under the same ID is not refused. Real processes: `orun backend serve` on loopback
// (SQLite) and `orun run --runner docker` against a loopback port nothing listens on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closedPort } from "../support/wait.js";
import { backendProcessBed } from "./backend-process-bed.js";
import { api } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";

describe("remote state: a runner whose prepare fails", () => {
  const setUp = backendProcessBed("sqlite", "prepare");

  it("leaves no remote run behind, and the run ID stays free for another plan", async (t) => {
    const bed = (await setUp(t))!;
    const planFile = await writePlan(bed.dir, "prepare", [
      { id: "api@dev.build", run: "echo built" },
      { id: "api@dev.deploy", deps: ["api@dev.build"], run: "echo deployed" },
    ]);
    const env = { ORUN_TOKEN: bed.token, ORUN_BACKEND_URL: bed.backend.url, ORUN_REMOTE_STATE: "", GITHUB_ACTIONS: "", ORUN_EXEC_ID: "" };
    const docker = await spawnOrun(["run", planFile, "--runner", "docker", "--remote-state", "--exec-id", "prep-1"], {
      cwd: bed.dir,
      env: { ...env, DOCKER_HOST: `tcp://127.0.0.1:${await closedPort()}` },
    }).done;
    assert.equal(docker.code, 1, docker.output);
    assert.match(docker.output, /✕ prepare runner docker: /);
    const run = await api(bed.backend.url, bed.token, "GET", "/v1/runs/prep-1");
    assert.equal(run.status, 404, JSON.stringify(run.body));

    const otherPlan = await writePlan(bed.dir, "other", [{ id: "api@dev.build", run: "echo other" }]);
    const local = await spawnOrun(["run", otherPlan, "--remote-state", "--exec-id", "prep-1"], { cwd: bed.dir, env }).done;
    assert.equal(local.code, 0, local.output);
    assert.equal((await api(bed.backend.url, bed.token, "GET", "/v1/runs/prep-1")).body.status, "completed");
  });
});
