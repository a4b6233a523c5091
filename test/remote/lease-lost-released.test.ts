// A runner that loses its job's lease — no heartbeat reached the backend within it — released the job: it did not
// fail it. Before, it printed `✗ … failed · error canceled`, called the dependents `skipped · dependency … failed`
// and advised `--retry`; `orun status --remote-state` showed the job running on the gone runner long after its lease
// lapsed; and a runner canceled while another runner held its job said `cancelled while waiting for dependencies`,
// with no command to rejoin the run (user testing). Real `orun run --remote-state` processes, a real backend on
// loopback.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

describe("a runner that loses its lease releases its job", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-released-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const env = (backend: TestBackend, token: string, runId: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ORUN_TOKEN: token,
    ORUN_BACKEND_URL: backend.url,
    ORUN_EXEC_ID: runId,
    GITHUB_ACTIONS: "",
    ORUN_REMOTE_STATE: "",
    ...extra,
  });

  it("says the job was released, leaves its dependents waiting, not skipped for a failure, and prints the rejoin command", { timeout: 120_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    let backend = await startTestBackend(db.url, { leaseMs: 2000, sweepIntervalMs: 200 });
    const port = Number(new URL(backend.url).port);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const started = path.join(dir, "b-started");
      const planFile = await writePlan(dir, "released", [
        { id: "b@dev.long", run: `touch ${started}; sleep 30` },
        { id: "c@dev.after", deps: ["b@dev.long"], run: "echo c-ran" },
      ]);
      const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: env(backend, token, "released-1", { ORUN_BACKEND_RETRY_MS: "8000" }) });
      await until(() => existsSync(started), "b to start", 60_000);
      await backend.stop();
      await until(() => /stopping it here/.test(runner.output()), "the runner to stop b", 25_000);
      backend = await startTestBackend(db.url, { leaseMs: 2000, sweepIntervalMs: 200, port });
      const r = await runner.done;
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /job b@dev\.long: no heartbeat reached the backend within its lease \(2s\); stopping it here/);
      assert.match(r.output, /↷ \S+ +\S+ +released: stopped here without a verdict, its lease lapsed; the backend hands it on to another runner\n/);
      assert.match(r.output, /○ \S+ +waiting · dependency b@dev\.long was released unfinished\n/);
      assert.match(r.output, /1 released · 1 waiting/);
      assert.match(r.output, /\n {2}rejoin {2}orun run \/\S+\/released\.json .*--exec-id released-1 --remote-state {2}# takes b@dev\.long over unless another runner has\n/);
      assert.doesNotMatch(r.output, /· failed|failed ·|skipped|--retry|error canceled|c-ran/, r.output);
      // The backend has it to hand on: pending again once its lease ran out, and nothing failed or skipped there.
      await until(async () => (await backend.store.getRun(NS, "released-1"))?.jobs.find((j) => j.jobId === "b@dev.long")?.status === "pending", "b released on the backend", 20_000);
      const jobs = (await backend.store.getRun(NS, "released-1"))!.jobs;
      assert.equal(jobs.find((j) => j.jobId === "c@dev.after")?.status, "pending");
      // The local record keeps b to run again, not failed.
      const state = JSON.parse(await fs.readFile(path.join(dir, ".orun", "executions", (await fs.readdir(path.join(dir, ".orun", "executions"))).find((d) => d.startsWith("released-1."))!, "state.json"), "utf8")) as {
        jobs: Record<string, { status: string; reason?: string }>;
      };
      assert.equal(state.jobs["b@dev.long"]?.status, "pending", JSON.stringify(state));
      assert.match(state.jobs["b@dev.long"]?.reason ?? "", /^released: /);
      assert.equal(state.jobs["c@dev.after"]?.status, "pending", JSON.stringify(state));
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });

  it("orun status --remote-state marks a running job whose lease lapsed", { timeout: 120_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    // No sweep during the test: the lapsed lease stays on the job, as between two sweeps (or with the backend just back).
    const backend = await startTestBackend(db.url, { leaseMs: 2000, sweepIntervalMs: 600_000 });
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const started = path.join(dir, "a-started");
      const planFile = await writePlan(dir, "lapsed", [{ id: "a@dev.long", run: `touch ${started}; sleep 60` }]);
      const e = env(backend, token, "lapsed-1");
      const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: e });
      await until(() => existsSync(started), "a to start", 60_000);
      const live = await spawnOrun(["status", "--remote-state"], { cwd: dir, env: e }).done;
      assert.equal(live.code, 0, live.output);
      assert.match(live.output, /● a@dev\.long +running +\S+ +on \S+\n/);
      assert.doesNotMatch(live.output, /lease lapsed/);
      runner.child.kill("SIGKILL");
      await runner.done;
      let shown = "";
      await until(
        async () => {
          shown = (await spawnOrun(["status", "--remote-state"], { cwd: dir, env: e }).done).output;
          return /lease lapsed/.test(shown);
        },
        "status to mark the lapsed lease",
        20_000,
      );
      assert.match(shown, /● a@dev\.long +running +\S+ +on \S+ · lease lapsed \d+(\.\d)?m?s ago; another runner can take it over\n/);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });

  it("Ctrl-C of a runner waiting while another runner holds its job names that runner, and prints the rejoin command", { timeout: 120_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const started = path.join(dir, "held-started");
      const release = path.join(dir, "held-release");
      const planFile = await writePlan(dir, "held", [{ id: "b@dev.long", run: `touch ${started}; while [ ! -f ${release} ]; do sleep 0.05; done` }]);
      const e = env(backend, token, "held-1");
      const holder = spawnOrun(["run", planFile, "--job", "b@dev.long", "--remote-state"], { cwd: dir, env: e });
      await until(() => existsSync(started), "b to start", 60_000);
      const waiter = spawnOrun(["run", planFile, "--job", "b@dev.long", "--remote-state"], { cwd: dir, env: e });
      await until(() => /● job b@dev\.long is running in remote run held-1 on runner \S+, waiting\.\.\./.test(waiter.output()), "the second runner to wait", 60_000);
      const runnerId = /on runner (\S+), waiting/.exec(waiter.output())![1]!;
      waiter.child.kill("SIGINT");
      const r = await waiter.done;
      assert.equal(r.code, 130, r.output);
      assert.ok(r.output.includes(`✕ job b@dev.long: canceled while waiting for runner ${runnerId}, which holds it\n`), r.output);
      assert.match(r.output, /✕ Canceled after/);
      assert.match(r.output, /\n {2}rejoin {2}orun run \/\S+\/held\.json .*--job b@dev\.long --exec-id held-1 --remote-state\n/);
      assert.doesNotMatch(r.output, /cancelled|dependencies/, r.output);
      await fs.writeFile(release, "");
      assert.equal((await holder.done).code, 0);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });
});
