// `orun run --gha` canceled (Ctrl-C) while the job is set up (its remote actions downloaded, GitHub's "Set up job"):
// no step runs, its `if: always()` steps included — as on GitHub, whose runner completes a job canceled during its
// initialization without running any step — and the record and output say so, naming those steps, rather than a bare
// `run canceled` that leaves the reader to wonder why the clean-up step did not run. Real orun processes; the action
// download goes to a loopback "API" that accepts the connection and never answers, so the cancel lands during it.
import { it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import path from "node:path";
import { until } from "../support/wait.js";
import { planDir, readJson, recordFile } from "../runtime/helpers.js";
import { ghaEnv, startOrun } from "../runners/github-actions/helpers.js";

it("a cancel during the job's set-up runs no step, if: always() ones included, and the record and output name them", async (t) => {
  const sockets: Socket[] = [];
  const api = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    api.close();
  });
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "fetch", use: "acme/act@v1" },
        { id: "cleanup", if: "always()", run: "touch cleaned" },
      ] as never,
    },
  ], {}, "orun-gha-setup-cancel-");
  const env = ghaEnv(dir, { GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}` });
  const orun = startOrun(["run", "plan.json", "--gha", "-v", "--exec-id", "g1"], dir, env);
  try {
    await until(() => sockets.length > 0, "the action download to reach the API");
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130, orun.output());
  } finally {
    orun.kill();
  }
  const reason = "run canceled during the job's set-up, before any step: its if: always() step cleanup did not run either (as on GitHub)";
  assert.ok(orun.output().includes(`○ build  skipped · ${reason}\n`), orun.output());
  assert.equal(existsSync(path.join(dir, "cleaned")), false);
  const state = await readJson<{ jobs: Record<string, { status: string; reason?: string; steps: Record<string, string> }> }>(recordFile(dir, "g1", "state.json"));
  const job = state.jobs["api@dev.build"];
  assert.deepEqual({ status: job?.status, reason: job?.reason, steps: job?.steps }, { status: "skipped", reason, steps: {} });
});
