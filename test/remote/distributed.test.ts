// Distributed execution for real: `orun run --job … --remote-state`
// processes coordinated by a backend on loopback (40-remote-state.md §6).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FIXTURES_DIR } from "../support/cli.js";
import { RESTART_HOST, restartablePort } from "../support/wait.js";
import { repositoryIdFor, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { startRemoteTestbed, startTestBackend, testDatabase, tokenFor, type RemoteTestbed, type TestBackend, type TestDatabase } from "./helpers.js";
import { countMatches, killAllChildren, spawnOrun, startBackendProcess, writePlan } from "./processes.js";
import { isAlive } from "../../src/runtime/records/lock.js";

const FIXTURE = path.join(FIXTURES_DIR, "remote-state-matrix");

describe("distributed runs through the backend", () => {
  let dir: string;
  let backend: TestBackend;
  let issuer: LocalOidcIssuer;
  let token: string;
  let runs = 0;
  // OIDC variables of a CI machine running the tests must not replace ORUN_TOKEN (only GITHUB_ACTIONS=true turns them on).
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ...extra });

  let bed: RemoteTestbed | undefined;
  before(async () => {
    // 6 s leases (heartbeat every 1.5 s): short enough for the SIGKILL take-over test, long enough that a runner
    // stalled by a loaded 2-core CI machine keeps its job.
    bed = await startRemoteTestbed("orun-distributed-", (local) => ({ oidc: { issuer: local.issuer }, leaseMs: 6000, sweepIntervalMs: 200 }));
    ({ dir, backend, issuer, token } = bed);
  });
  after(() => bed?.close());

  it("the §6 local harness on the remote-state-matrix fixture: duplicate claim, dependency wait, status and logs from another process", { skip: !existsSync(FIXTURE) && "fixtures absent" }, async () => {
    const { compilePlan } = await import("../../src/planner/compile.js");
    const { plan } = await compilePlan({ cwd: FIXTURE });
    assert.equal(plan.execution.state?.mode, "remote", "the fixture's intent turns remote state on");
    const planFile = path.join(dir, "matrix-plan.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const execId = `local-${Date.now()}-harness`;
    // Runners authenticate with GitHub Actions OIDC, fetched from the local issuer like on a GHA runner.
    const gha = env({ ORUN_TOKEN: "", ORUN_EXEC_ID: execId, GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.tokenRequestUrl}?repo=acme/widgets`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken });
    const run = (job: string) => spawnOrun(["run", planFile, "--job", job, "--backend-url", backend.url, "--verbose"], { cwd: dir, env: gha });
    const c = run("api@dev.smoke");
    const a = run("foundation@dev.smoke");
    const b = run("foundation@dev.smoke");
    const [ra, rb, rc] = await Promise.all([a.done, b.done, c.done]);
    for (const [name, r] of [["A", ra], ["B", rb], ["C", rc]] as const) assert.equal(r.code, 0, `${name} exit code\n${r.output}`);
    // The step's own lines (GITHUB_ACTIONS=true: raw inside its group, whose title repeats the first as headline).
    const smokes = [ra, rb].map((r) => countMatches(r.output, /(?:^|\n)=== SMOKE: foundation@dev\.smoke/));
    assert.deepEqual([...smokes].sort(), [0, 2], `exactly one of A and B ran foundation@dev.smoke's two steps: ${smokes}`);
    const loser = smokes[0] === 0 ? ra : rb;
    assert.match(loser.output, /already completed in remote run |is running in remote run /);
    assert.ok(countMatches(rc.output, /=== SMOKE: api@dev\.smoke/) >= 1, rc.output);
    assert.match(rc.output, /waiting for dependencies of api@dev\.smoke/);

    // Verify from a separate process, with a backend-issued token for the same repository.
    const status = spawnOrun(["status", "--remote-state", "--exec-id", execId, "--json"], { cwd: dir, env: env() });
    const sr = await status.done;
    assert.equal(sr.code, 0, sr.output);
    const json = JSON.parse(sr.output) as { execID: string; state: { jobs: Record<string, { status: string }> } };
    assert.equal(json.execID, execId);
    assert.equal(json.state.jobs["foundation@dev.smoke"].status, "completed");
    assert.equal(json.state.jobs["api@dev.smoke"].status, "completed");
    assert.equal(json.state.jobs["web@dev.smoke"].status, "pending");
    const logs = await spawnOrun(["logs", "--remote-state", "--exec-id", execId, "--job", "foundation@dev.smoke"], { cwd: dir, env: env() }).done;
    assert.equal(logs.code, 0);
    assert.match(logs.output, /=== SMOKE: foundation@dev\.smoke validate ===/);
    assert.match(logs.output, /=== SMOKE: foundation@dev\.smoke apply ===/);
  });

  it("a failed job makes its dependents' waiting runners exit promptly with a clear message", async () => {
    const gate = path.join(dir, "fail-gate");
    const planFile = await writePlan(dir, "failing", [
      { id: "db@dev.migrate", run: `while [ ! -f ${gate} ]; do sleep 0.05; done; echo migrating; exit 3` },
      { id: "api@dev.deploy", deps: ["db@dev.migrate"], run: "echo should-not-run" },
      { id: "web@dev.deploy", deps: ["api@dev.deploy"], run: "echo should-not-run" },
    ]);
    const e = env({ ORUN_EXEC_ID: `fail-${++runs}` });
    const waiters = ["api@dev.deploy", "web@dev.deploy"].map((job) => spawnOrun(["run", planFile, "--job", job, "--remote-state"], { cwd: dir, env: e }));
    const failing = spawnOrun(["run", planFile, "--job", "db@dev.migrate", "--remote-state"], { cwd: dir, env: e });
    await waitFor(() => waiters.every((w) => /waiting for dependencies/.test(w.output())), 60_000, "both dependents wait");
    await fs.writeFile(gate, "");
    const rf = await failing.done;
    assert.equal(rf.code, 1, rf.output);
    for (const w of waiters) {
      const r = await w.done;
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /upstream dependencies are blocked or failed \(dependency .*db@dev\.migrate failed/);
      assert.doesNotMatch(r.output, /should-not-run/);
      assert.ok(r.exitedAt - rf.exitedAt < 10_000, `a dependent exited ${r.exitedAt - rf.exitedAt} ms after the failure`);
    }
  });

  it("--env fan-out runners and a whole-plan runner share one run: each job executes once, in order", async () => {
    const ledger = path.join(dir, "fanout-ledger");
    const jobs = ["dev", "stage"].flatMap((envName) => [
      { id: `foundation@${envName}.smoke`, run: `echo foundation@${envName} >> ${ledger}; sleep 0.2` },
      { id: `api@${envName}.smoke`, deps: [`foundation@${envName}.smoke`], run: `echo api@${envName} >> ${ledger}; sleep 0.2` },
      { id: `web@${envName}.smoke`, deps: [`api@${envName}.smoke`], run: `echo web@${envName} >> ${ledger}` },
    ]);
    const planFile = await writePlan(dir, "fanout", jobs);
    const e = env({ ORUN_EXEC_ID: `env-fanout-${++runs}`, ORUN_REMOTE_STATE: "true" });
    const runners = [["--env", "dev"], ["--env", "stage"], []].map((extra) => spawnOrun(["run", planFile, ...extra], { cwd: dir, env: e }));
    const results = await Promise.all(runners.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.output);
    const lines = (await fs.readFile(ledger, "utf8")).trim().split("\n");
    assert.deepEqual([...lines].sort(), ["api@dev", "api@stage", "foundation@dev", "foundation@stage", "web@dev", "web@stage"], "every job ran exactly once");
    for (const envName of ["dev", "stage"]) {
      const order = ["foundation", "api", "web"].map((c) => lines.indexOf(`${c}@${envName}`));
      assert.deepEqual(order, [...order].sort((x, y) => x - y), `${envName} ran in dependency order`);
    }
    const run = await backend.store.getRun(repositoryIdFor("acme/widgets"), `env-fanout-${runs}`);
    assert.equal(run?.run.status, "completed");
    // --watch stops by itself once the run is finished (v2's never did).
    const watch = await spawnOrun(["status", "--watch", "--interval", "200ms"], { cwd: dir, env: e }).done;
    assert.equal(watch.code, 0, watch.output);
    assert.match(watch.output, /State: completed/);
    assert.match(watch.output, /✓ 6 succeeded/);
  });

  it("--env fan-out across promotion: the stage runner waits for the dev runner's jobs it depends on", async () => {
    const ledger = path.join(dir, "promotion-ledger");
    const planFile = await writePlan(dir, "promotion", [
      { id: "api@dev.deploy", run: `echo api@dev >> ${ledger}; sleep 0.3` },
      { id: "api@stage.deploy", deps: ["api@dev.deploy"], run: `echo api@stage >> ${ledger}` },
    ]);
    const e = env({ ORUN_EXEC_ID: `env-promotion-${++runs}`, ORUN_REMOTE_STATE: "true" });
    // The stage runner starts first: its dependency lives in another runner's slice of the plan.
    const stage = spawnOrun(["run", planFile, "--env", "stage"], { cwd: dir, env: e });
    await waitFor(() => /waiting for dependencies of api@stage\.deploy/.test(stage.output()), 60_000, "the stage runner waits for dev");
    const dev = spawnOrun(["run", planFile, "--env", "dev"], { cwd: dir, env: e });
    const [rs, rd] = await Promise.all([stage.done, dev.done]);
    assert.equal(rd.code, 0, rd.output);
    assert.equal(rs.code, 0, rs.output);
    assert.equal(await fs.readFile(ledger, "utf8"), "api@dev\napi@stage\n");
  });

  it("a runner killed with SIGKILL mid-job loses its lease and a waiting runner takes the job over", async () => {
    const marker = path.join(dir, "kill-marker");
    const pidFile = path.join(dir, "kill-step.pid");
    const result = path.join(dir, "kill-result");
    const planFile = await writePlan(dir, "killed", [
      { id: "svc@dev.deploy", run: `if [ -f ${marker} ]; then echo finished-by-second >> ${result}; else touch ${marker}; echo $$ > ${pidFile}; exec sleep 60; fi` },
    ]);
    const e = env({ ORUN_EXEC_ID: `kill-${++runs}` });
    const first = spawnOrun(["run", planFile, "--job", "svc@dev.deploy", "--remote-state"], { cwd: dir, env: e });
    await waitFor(() => existsSync(pidFile), 60_000, "the first runner started the step");
    const second = spawnOrun(["run", planFile, "--job", "svc@dev.deploy", "--remote-state"], { cwd: dir, env: e });
    await waitFor(() => /is running in remote run kill-\d+ on runner \S+, waiting/.test(second.output()), 60_000, "the second runner waits");
    first.child.kill("SIGKILL");
    await first.done;
    // Its spawn helper stops the killed runner's step too: nothing of it runs beside the takeover.
    const stepPid = Number((await fs.readFile(pidFile, "utf8")).trim());
    await waitFor(() => !isAlive(stepPid), 10_000, "the killed runner's step to be stopped");
    const r = await second.done;
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /taking over job svc@dev\.deploy from a previous runner/);
    assert.equal(await fs.readFile(result, "utf8"), "finished-by-second\n");
    const job = (await backend.store.getRun(repositoryIdFor("acme/widgets"), `kill-${runs}`))!.jobs[0];
    assert.deepEqual([job.status, job.attempts], ["success", 2]);
  });
});

describe("a runner that stalls past its lease while alive", () => {
  let dir: string;
  let db: TestDatabase;
  let backend: TestBackend;
  let e: NodeJS.ProcessEnv;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-lease-lost-"));
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url, { leaseMs: 1500, sweepIntervalMs: 100 });
    e = { ORUN_TOKEN: await tokenFor(backend.store, "acme/widgets"), ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "" };
  });
  after(async () => {
    killAllChildren();
    await backend?.stop();
    await db?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("stops the job's steps when the backend hands the job to another runner, and exits non-zero (its result is refused)", async () => {
    const marker = path.join(dir, "finished");
    const pidFile = path.join(dir, "runner-step.pid");
    const planFile = await writePlan(dir, "lease", [{ id: "svc@dev.deploy", run: `echo $$ > ${pidFile}; sleep 8; echo finished >> ${marker}` }]);
    const env = { ...e, ORUN_EXEC_ID: "lease-1" };
    const first = spawnOrun(["run", planFile, "--job", "svc@dev.deploy", "--remote-state"], { cwd: dir, env });
    await waitFor(() => existsSync(pidFile), 60_000, "the step to start");
    // Freeze the runner (not its step): no heartbeats, so its lease expires and a second runner takes the job over.
    process.kill(first.child.pid!, "SIGSTOP");
    const second = spawnOrun(["run", planFile, "--job", "svc@dev.deploy", "--remote-state"], { cwd: dir, env });
    try {
      await waitFor(() => /taking over job svc@dev\.deploy from a previous runner/.test(second.output()), 60_000, "the second runner takes the job over");
    } finally {
      process.kill(first.child.pid!, "SIGCONT");
    }
    const [r1, r2] = await Promise.all([first.done, second.done]);
    assert.notEqual(r1.code, 0, r1.output);
    assert.match(r1.output, /handed this job to another runner \(lease expired\); stopping it here/);
    assert.equal(r2.code, 0, r2.output);
    assert.equal(await fs.readFile(marker, "utf8"), "finished\n", "the first runner's step was stopped, the second one's ran to its end");
    // The hints name the backend's run, not the local record.
    assert.match(r1.output, /status {2}orun status --exec-id lease-1 --remote-state --backend-url \S+\n/);
    // No resume hint: the remote run keeps its results. The job was released, not failed: no retry, the rejoin command.
    assert.match(r1.output, /↷ \S+ +\S+ +released: stopped here without a verdict, its lease lapsed; the backend hands it on to another runner\n/);
    assert.match(r1.output, /rejoin {2}orun run \S+ --backend-url \S+ --job svc@dev\.deploy --exec-id lease-1 --remote-state {2}# takes svc@dev\.deploy over unless another runner has\n/);
    assert.doesNotMatch(r1.output, /--retry|failed/);
    assert.doesNotMatch(r1.output, /start a new run/);
    const job = (await backend.store.getRun(repositoryIdFor("acme/widgets"), "lease-1"))!.jobs[0];
    assert.deepEqual([job.status, job.attempts], ["success", 2], "the backend recorded the second runner's result");
  });

  it("gets its job back when nobody claimed it meanwhile, and finishes it", async () => {
    const marker = path.join(dir, "resumed-finished");
    const pidFile = path.join(dir, "resumed-step.pid");
    const planFile = await writePlan(dir, "lease-back", [{ id: "svc@dev.deploy", run: `echo $$ > ${pidFile}; sleep 5; echo finished >> ${marker}` }]);
    const runner = spawnOrun(["run", planFile, "--job", "svc@dev.deploy", "--remote-state"], { cwd: dir, env: { ...e, ORUN_EXEC_ID: "lease-2" } });
    await waitFor(() => existsSync(pidFile), 60_000, "the step to start");
    process.kill(runner.child.pid!, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    process.kill(runner.child.pid!, "SIGCONT");
    const r = await runner.done;
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /handed this job to another runner/);
    assert.equal(await fs.readFile(marker, "utf8"), "finished\n");
    const job = (await backend.store.getRun(repositoryIdFor("acme/widgets"), "lease-2"))!.jobs[0];
    assert.deepEqual([job.status, job.attempts], ["success", 1]);
  });
});

describe("a backend restarted mid-run", () => {
  let dir: string | undefined;
  let db: TestDatabase;
  after(async () => {
    killAllChildren();
    await db?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("the run still completes: runners retry through the outage and resume", async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-restart-"));
    db = (await testDatabase("sqlite"))!;
    // Stopped and started again on its port: one no other test can take meanwhile.
    const port = await restartablePort();
    let server = await startBackendProcess(db.url, ["--host", RESTART_HOST], port);
    const token = (await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/widgets", "--database", db.url]).done).output.split("\n")[0].trim();
    const gate = path.join(dir, "go");
    const order = path.join(dir, "order");
    const cwd = dir;
    const planFile = await writePlan(cwd, "restart", [
      { id: "a@dev.build", run: `echo a-started >> ${order}; while [ ! -f ${gate} ]; do sleep 0.05; done; echo a >> ${order}` },
      { id: "b@dev.deploy", deps: ["a@dev.build"], run: `echo b >> ${order}` },
    ]);
    const e = { ORUN_TOKEN: token, ORUN_BACKEND_URL: server.url, ORUN_EXEC_ID: "restart-1", ORUN_BACKEND_RETRY_MS: "60000" };
    const b = spawnOrun(["run", planFile, "--job", "b@dev.deploy", "--remote-state"], { cwd, env: e });
    const a = spawnOrun(["run", planFile, "--job", "a@dev.build", "--remote-state"], { cwd, env: e });
    await waitFor(() => existsSync(order) && /waiting for dependencies/.test(b.output()), 60_000, "a running and b waiting");
    await server.stop("SIGKILL");
    await fs.writeFile(gate, "");
    await new Promise((r) => setTimeout(r, 500));
    server = await startBackendProcess(db.url, ["--host", RESTART_HOST], port);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.output);
    assert.equal(rb.code, 0, rb.output);
    assert.equal(await fs.readFile(order, "utf8"), "a-started\na\nb\n");
    const status = await spawnOrun(["status", "--remote-state", "--exec-id", "restart-1", "--json"], { cwd, env: e }).done;
    assert.equal(JSON.parse(status.output).meta.status, "completed");
    await server.stop();
  });
});

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
