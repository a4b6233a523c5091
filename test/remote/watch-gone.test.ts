// `orun status --remote-state --watch` and `orun logs --remote-state --follow`
// on a run that is deleted while they watch it (retention, or a database
// reset): both exit 1 saying the run is gone — the watcher polled "Run not
// found" for ever, the follower ended on a bare "Run not found (NOT_FOUND)".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, planOf } from "./helpers.js";
import { killAllChildren, spawnOrun } from "./processes.js";
import { until } from "../support/wait.js";

describe("watching a remote run that is deleted", () => {
  const on = backendOnStore("sqlite");

  it("status --watch and logs --follow exit 1 saying the run is gone", { timeout: 60_000 }, async () => {
    try {
      const runId = "watched-gone";
      assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);
      const env = { ORUN_TOKEN: on.token, GITHUB_ACTIONS: "" };
      const common = ["--remote-state", "--backend-url", on.backend.url, "--exec-id", runId];
      const watch = spawnOrun(["status", ...common, "--watch", "--interval", "200ms"], { env });
      const follow = spawnOrun(["logs", ...common, "--follow"], { env });
      await until(() => /State: running/.test(watch.output()), "the first status", 30_000);
      // The follower has read the run once it polls a second time; give it that long.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok((await on.backend.store.deleteRunsUpdatedBefore(new Date(Date.now() + 60_000).toISOString())) >= 1);

      const gone = /✕ remote run watched-gone is gone from the backend at http:\/\/127\.0\.0\.1:\d+: deleted by its retention \(--retention\) after nothing in it changed, or its database was reset/;
      const outcome = async (p: ReturnType<typeof spawnOrun>) =>
        Promise.race([p.done, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000))]);
      const [w, f] = await Promise.all([outcome(watch), outcome(follow)]);
      assert.ok(w, `the watcher ended: ${watch.output().slice(-500)}`);
      assert.equal(w.code, 1, w.output);
      assert.match(w.output, gone);
      assert.ok(f, `the follower ended: ${follow.output().slice(-500)}`);
      assert.equal(f.code, 1, f.output);
      assert.match(f.output, gone);
    } finally {
      killAllChildren();
    }
  });
});
