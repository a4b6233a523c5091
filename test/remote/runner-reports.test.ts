// What a remote runner tells the backend about jobs it does not run, how it
// treats a log over the backend's cap, which credentials it presents, where
// promotion-gate evidence comes from in remote mode, and how Ctrl-C ends a
// wait: real `orun run --remote-state` processes against a real backend on
// loopback (its OIDC issuer the suite's local stand-in for GitHub's).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob, PromotionGate } from "../../src/model/plan.js";
import { repositoryIdFor, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { startRemoteTestbed, startTestBackend, testDatabase, tokenFor, type RemoteTestbed, type TestBackend } from "./helpers.js";
import { spawnOrun, type OrunProcess } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");
const LOG_CAP = 4096;
const AUDIENCE = "orun-staging";

interface JobSpec {
  id: string;
  deps?: string[];
  steps: string[];
  policies?: Record<string, string>;
  gates?: PromotionGate[];
}

async function writePlan(dir: string, name: string, jobs: JobSpec[], options: { failFast?: boolean; concurrency?: number; revision?: string } = {}): Promise<string> {
  const planJobs: PlanJob[] = jobs.map((j) => {
    const [component, rest] = j.id.split("@");
    const [environment, jobName] = rest.split(".");
    return {
      id: j.id,
      name: jobName,
      component,
      environment,
      dependsOn: j.deps ?? [],
      steps: j.steps.map((run, i) => ({ id: `s${i + 1}`, phase: "main", run })),
      ...(j.policies ? { policies: j.policies } : {}),
      ...(j.gates ? { gates: j.gates } : {}),
    };
  });
  const plan: Plan = {
    apiVersion: "orun.io/v1",
    kind: "Plan",
    metadata: { name, ...(options.revision ? { revision: options.revision } : {}) },
    execution: { concurrency: options.concurrency ?? 4, failFast: options.failFast ?? false },
    spec: {},
    jobs: planJobs,
  };
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(plan, null, 2));
  return file;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The process's exit, or a failure naming what did not end (the process is killed). */
async function exitWithin(proc: OrunProcess, ms: number, what: string): Promise<Awaited<OrunProcess["done"]>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      proc.child.kill("SIGKILL");
      reject(new Error(`${what} did not exit within ${ms} ms:\n${proc.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([proc.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("remote runners report what they do not run, cap logs, and authenticate as configured", () => {
  let dir: string;
  let backend: TestBackend;
  let issuer: LocalOidcIssuer;
  let token: string;
  let runs = 0;
  // No OIDC variables of the machine running the tests leak in: these runners use ORUN_TOKEN unless a test says otherwise.
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ORUN_TOKEN: token,
    ORUN_BACKEND_URL: backend.url,
    GITHUB_ACTIONS: "",
    ACTIONS_ID_TOKEN_REQUEST_URL: "",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "",
    ORUN_REMOTE_WAIT_TIMEOUT_MS: "60000",
    ...extra,
  });
  const jobsOf = async (runId: string) => new Map((await backend.store.getRun(NS, runId))!.jobs.map((j) => [j.jobId, j]));

  let bed: RemoteTestbed | undefined;
  before(async () => {
    bed = await startRemoteTestbed("orun-reports-", (local) => ({ oidc: { issuer: local.issuer, audience: AUDIENCE }, maxLogBytes: LOG_CAP, sweepIntervalMs: 200 }));
    ({ dir, backend, issuer, token } = bed);
  });
  after(() => bed?.close());

  it("a job blocked by requireApproval is claimed and reported failed (the run is created even though it is the first job), so a waiting dependent exits at once", async () => {
    const planFile = await writePlan(dir, "approval", [
      { id: "api@prod.deploy", policies: { requireApproval: "true" }, steps: ["echo deployed-without-approval"] },
      { id: "smoke@prod.check", deps: ["api@prod.deploy"], steps: ["echo smoke-should-not-run"] },
    ]);
    const runId = `approval-${++runs}`;
    const e = env({ ORUN_EXEC_ID: runId });
    const blocked = await exitWithin(spawnOrun(["run", planFile, "--job", "api@prod.deploy", "--remote-state"], { cwd: dir, env: e }), 60_000, "the blocked runner");
    assert.equal(blocked.code, 1, blocked.output);
    assert.doesNotMatch(blocked.output, /deployed-without-approval/);
    const state = await backend.store.getRun(NS, runId);
    assert.ok(state, "the run exists on the backend");
    const jobs = await jobsOf(runId);
    assert.equal(jobs.get("api@prod.deploy")!.status, "failed");
    assert.match(jobs.get("api@prod.deploy")!.lastError ?? "", /^blocked: policy requireApproval/);
    assert.equal(jobs.get("smoke@prod.check")!.status, "skipped", "its dependent is terminal too");
    assert.equal(state.run.status, "failed", "the run is finished");
    const waiter = await exitWithin(spawnOrun(["run", planFile, "--job", "smoke@prod.check", "--remote-state"], { cwd: dir, env: e }), 30_000, "the dependent's runner");
    assert.equal(waiter.code, 1, waiter.output);
    assert.match(waiter.output, /upstream dependencies are blocked or failed \(dependency api@prod\.deploy/);
    assert.doesNotMatch(waiter.output, /smoke-should-not-run/);
  });

  it("fail-fast in one runner stops the run: the jobs it did not start are skipped, and a runner waiting on one exits non-zero", async () => {
    const ledger = path.join(dir, "failfast-ledger");
    const planFile = await writePlan(
      dir,
      "failfast",
      [
        { id: "a@dev.build", steps: [`echo a >> ${ledger}; exit 3`] },
        { id: "b@dev.build", steps: [`echo b >> ${ledger}`] },
        { id: "c@dev.deploy", deps: ["b@dev.build"], steps: [`echo c >> ${ledger}`] },
      ],
      { failFast: true, concurrency: 1 },
    );
    const runId = `failfast-${++runs}`;
    const e = env({ ORUN_EXEC_ID: runId });
    const waiter = spawnOrun(["run", planFile, "--job", "c@dev.deploy", "--remote-state"], { cwd: dir, env: e });
    await waitFor(() => /waiting for dependencies of c@dev\.deploy/.test(waiter.output()), 60_000, "the c runner waits");
    const whole = await exitWithin(spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: e }), 60_000, "the whole-plan runner");
    assert.equal(whole.code, 1, whole.output);
    assert.equal(await fs.readFile(ledger, "utf8"), "a\n", "the whole-plan runner stopped after a");
    assert.equal((await jobsOf(runId)).get("b@dev.build")!.status, "skipped", "the plan is failFast: the run stops, on every runner");
    // The waiting c runner stops, and a matrix leg for b started now runs nothing.
    const w = await exitWithin(waiter, 60_000, "the c runner");
    assert.equal(w.code, 1, w.output);
    assert.match(w.output, /✕ remote run failfast-\d+ stopped: its plan is failFast and a@dev\.build failed/);
    const leg = await exitWithin(spawnOrun(["run", planFile, "--job", "b@dev.build", "--remote-state"], { cwd: dir, env: e }), 60_000, "the b leg");
    assert.equal(leg.code, 1, leg.output);
    assert.equal(await fs.readFile(ledger, "utf8"), "a\n");
  });

  it("fail-fast also ends a wait for admission in the same runner: the waiting job does not start later", async () => {
    const ledger = path.join(dir, "admission-ledger");
    const gate = path.join(dir, "admission-gate");
    const planFile = await writePlan(
      dir,
      "admission",
      [
        { id: "a@dev.x", steps: [`while [ ! -f ${gate} ]; do sleep 0.05; done; echo a >> ${ledger}`] },
        { id: "b@stage.y", steps: [`echo b >> ${ledger}; exit 1`] },
        { id: "c@stage.z", deps: ["a@dev.x"], steps: [`echo c >> ${ledger}`] },
      ],
      { failFast: true, concurrency: 2 },
    );
    const runId = `admission-${++runs}`;
    const e = env({ ORUN_EXEC_ID: runId });
    const dev = spawnOrun(["run", planFile, "--env", "dev", "--remote-state"], { cwd: dir, env: e });
    // The dev runner holds a (waiting on the gate file) before the stage runner starts.
    for (let i = 0; (await backend.store.getRun(NS, runId))?.jobs.find((j) => j.jobId === "a@dev.x")?.status !== "running"; i++) {
      assert.ok(i < 600, `a is running on the dev runner: ${dev.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stage = await exitWithin(spawnOrun(["run", planFile, "--env", "stage", "--remote-state"], { cwd: dir, env: e }), 60_000, "the stage runner");
    assert.equal(stage.code, 1, stage.output);
    // Stopped by this runner's fail-fast, or by the run's (the backend skipped c): whichever lands first.
    assert.match(stage.output, /✕ (job c@stage\.z: not started: fail-fast after b@stage\.y failed|remote run admission-\d+ stopped: its plan is failFast and b@stage\.y failed)/);
    await fs.writeFile(gate, "");
    assert.equal((await exitWithin(dev, 60_000, "the dev runner")).code, 0);
    assert.equal((await fs.readFile(ledger, "utf8")).includes("c"), false, "c never ran");
    assert.equal((await jobsOf(runId)).get("c@stage.z")!.status, "skipped", "the run stopped: c will not run on any runner");
  });

  it("a runner cut off from the backend for a whole lease stops its job (another runner may have taken it over)", async () => {
    const ownDb = (await testDatabase("sqlite"))!;
    const own = await startTestBackend(ownDb.url, { leaseMs: 2000, sweepIntervalMs: 200 });
    let stopped = false;
    try {
      const ownToken = await tokenFor(own.store, "acme/widgets");
      const marker = path.join(dir, "cutoff-started");
      const planFile = await writePlan(dir, "cutoff", [{ id: "a@dev.long", steps: [`echo started > ${marker}; sleep 30; echo finished`] }]);
      const runner = spawnOrun(["run", planFile, "--job", "a@dev.long", "--remote-state"], {
        cwd: dir,
        env: env({ ORUN_TOKEN: ownToken, ORUN_BACKEND_URL: own.url, ORUN_EXEC_ID: `cutoff-${++runs}`, ORUN_BACKEND_RETRY_MS: "1500" }),
      });
      await waitFor(() => existsSync(marker), 60_000, "the job to start");
      await own.stop();
      stopped = true;
      const r = await exitWithin(runner, 25_000, "the cut-off runner");
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /job a@dev\.long: no heartbeat reached the backend within its lease \(2s\); stopping it here/);
      assert.doesNotMatch(r.output, /finished/);
    } finally {
      if (!stopped) await own.stop();
      await ownDb.cleanup();
    }
  });

  it("a job stopped for a lost backend is not reported failed: a failFast run does not stop when the backend returns", async () => {
    const ownDb = (await testDatabase("sqlite"))!;
    let own = await startTestBackend(ownDb.url, { leaseMs: 2000, sweepIntervalMs: 200 });
    const port = Number(new URL(own.url).port);
    try {
      const ownToken = await tokenFor(own.store, "acme/widgets");
      const marker = path.join(dir, "outage-started");
      const planFile = await writePlan(dir, "outage", [{ id: "a@dev.long", steps: [`echo started > ${marker}; sleep 30`] }, { id: "b@dev.other", steps: ["true"] }], { failFast: true });
      const runId = `outage-${++runs}`;
      const runner = spawnOrun(["run", planFile, "--job", "a@dev.long", "--remote-state"], {
        cwd: dir,
        env: env({ ORUN_TOKEN: ownToken, ORUN_BACKEND_URL: own.url, ORUN_EXEC_ID: runId, ORUN_BACKEND_RETRY_MS: "8000" }),
      });
      await waitFor(() => existsSync(marker), 60_000, "the job to start");
      await own.stop();
      await waitFor(() => /stopping it here/.test(runner.output()), 25_000, "the runner to stop its job");
      own = await startTestBackend(ownDb.url, { leaseMs: 2000, sweepIntervalMs: 200, port });
      const r = await exitWithin(runner, 30_000, "the cut-off runner");
      assert.match(r.output, /↷ \S+ +\S+ +released: stopped here without a verdict, its lease lapsed; the backend hands it on to another runner\n/);
      const run = await own.store.getRun(NS, runId);
      assert.equal(run?.run.stoppedReason ?? null, null, "the run did not stop");
      const a = run?.jobs.find((j) => j.jobId === "a@dev.long");
      assert.notEqual(a?.status, "failed", `a is not failed: ${JSON.stringify(a)}`);
      // Its lease runs out and the backend releases it: the job can run again in this run.
      for (let i = 0; (await own.store.getRun(NS, runId))?.jobs.find((j) => j.jobId === "a@dev.long")?.status !== "pending"; i++) {
        assert.ok(i < 200, "a is released when its lease runs out");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await own.stop();
      await ownDb.cleanup();
    }
  });

  it("orun logs --remote-state --step shows one step's section, and --follow prints each step's output once as it lands, until the run ends", async () => {
    const gate = path.join(dir, "follow-gate");
    const planFile = await writePlan(dir, "follow", [{ id: "a@dev.logs", steps: ["echo first-step-output", `while [ ! -f ${gate} ]; do sleep 0.05; done; echo second-step-output`] }]);
    const runId = `follow-${++runs}`;
    const e = env({ ORUN_EXEC_ID: runId });
    const leg = spawnOrun(["run", planFile, "--job", "a@dev.logs", "--remote-state"], { cwd: dir, env: e });
    for (let i = 0; !(await backend.store.readLog(NS, runId, "a@dev.logs"))?.toString().includes("first-step-output"); i++) {
      assert.ok(i < 600, `the first step's log reaches the backend: ${leg.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const follow = spawnOrun(["logs", "--remote-state", "--follow"], { cwd: dir, env: e });
    await waitFor(() => follow.output().includes("first-step-output"), 30_000, "follow shows the first step");
    await fs.writeFile(gate, "");
    assert.equal((await exitWithin(leg, 60_000, "the leg")).code, 0);
    const followed = await exitWithin(follow, 30_000, "logs --follow");
    assert.equal(followed.code, 0, followed.output);
    assert.equal(followed.output.split("first-step-output").length - 1, 1, followed.output);
    assert.equal(followed.output.split("second-step-output").length - 1, 1, followed.output);
    const one = await exitWithin(spawnOrun(["logs", "--remote-state", "--step", "s2"], { cwd: dir, env: e }), 30_000, "logs --step");
    assert.match(one.output, /=== s2 ===\nsecond-step-output/);
    assert.doesNotMatch(one.output, /first-step-output/);
  });

  // --retry under remote state retries the job in its run: test/remote/retry-in-run.test.ts.

  it("Ctrl-C while waiting for dependencies exits 130 saying it was cancelled, and leaves the unclaimable job alone", async () => {
    const planFile = await writePlan(dir, "interrupt", [
      { id: "a@dev.build", steps: ["true"] },
      { id: "b@dev.deploy", deps: ["a@dev.build"], steps: ["echo b-should-not-run"] },
    ]);
    const runId = `interrupt-${++runs}`;
    const waiter = spawnOrun(["run", planFile, "--job", "b@dev.deploy", "--remote-state"], { cwd: dir, env: env({ ORUN_EXEC_ID: runId }) });
    await waitFor(() => /waiting for dependencies of b@dev\.deploy/.test(waiter.output()), 60_000, "the runner waits");
    waiter.child.kill("SIGINT");
    const r = await exitWithin(waiter, 20_000, "the interrupted runner");
    assert.equal(r.code, 130, r.output);
    assert.match(r.output, /canceled while waiting for its dependencies/);
    assert.doesNotMatch(r.output, /b-should-not-run/);
    assert.equal((await jobsOf(runId)).get("b@dev.deploy")!.status, "pending");
  });

  it("a dependency that never finishes ends the wait at the wait timeout with v2's message (a Go duration), exit 1; a malformed timeout variable is refused naming it", async () => {
    const planFile = await writePlan(dir, "wait-timeout", [
      { id: "a@dev.build", steps: ["true"] },
      { id: "b@dev.deploy", deps: ["a@dev.build"], steps: ["echo b-should-not-run"] },
    ]);
    const runId = `wait-timeout-${++runs}`;
    const r = await exitWithin(spawnOrun(["run", planFile, "--job", "b@dev.deploy", "--remote-state"], { cwd: dir, env: env({ ORUN_EXEC_ID: runId, ORUN_REMOTE_WAIT_TIMEOUT_MS: "1500" }) }), 30_000, "the waiting runner");
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /✕ dependency wait timeout \(1\.5s\) exceeded for b@dev\.deploy: waiting for a@dev\.build/);
    assert.doesNotMatch(r.output, /b-should-not-run/);
    assert.equal((await jobsOf(runId)).get("b@dev.deploy")!.status, "pending");
    for (const [name, value] of [["ORUN_REMOTE_WAIT_TIMEOUT_MS", "soon"], ["ORUN_BACKEND_RETRY_MS", "-5"]]) {
      const bad = await exitWithin(spawnOrun(["run", planFile, "--job", "b@dev.deploy", "--remote-state"], { cwd: dir, env: env({ ORUN_EXEC_ID: `bad-env-${++runs}`, [name]: value }) }), 30_000, name);
      assert.equal(bad.code, 1, bad.output);
      assert.match(bad.output, new RegExp(`✕ ${name}: expected a number of milliseconds, got "${value}"`));
      assert.doesNotMatch(bad.output, /waiting for dependencies/);
    }
  });

  it("a log over the backend's cap keeps what fits and ends with a truncation marker; later steps are not uploaded; the job still succeeds", async () => {
    const planFile = await writePlan(dir, "biglog", [
      // 20 lines of 100 bytes, then 100 lines, then a step that would not fit.
      { id: "a@dev.logs", steps: [`for i in $(seq 20); do printf '%099d\\n' $i; done`, `for i in $(seq 100); do printf 'x%098d\\n' $i; done`, "echo third-step"] },
      // A first step alone over the cap.
      { id: "b@dev.logs", steps: [`for i in $(seq 100); do printf 'y%098d\\n' $i; done`] },
    ]);
    const runId = `biglog-${++runs}`;
    const e = env({ ORUN_EXEC_ID: runId });
    const r = await exitWithin(spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: e }), 60_000, "the runner");
    assert.equal(r.code, 0, r.output);
    const jobs = await jobsOf(runId);
    assert.deepEqual([jobs.get("a@dev.logs")!.status, jobs.get("b@dev.logs")!.status], ["success", "success"]);
    const a = (await backend.store.readLog(NS, runId, "a@dev.logs"))!.toString("utf8");
    assert.ok(Buffer.byteLength(a) <= LOG_CAP, `${Buffer.byteLength(a)} bytes`);
    assert.ok(a.startsWith(`=== s1 ===\n${Array.from({ length: 20 }, (_v, i) => `${String(i + 1).padStart(99, "0")}\n`).join("")}`), "the first step's output is whole");
    assert.match(a, /=== s2 ===\nx0{97}1\n/, "the second step starts");
    const marker = /\n\[orun\] log truncated at the backend's 4096-byte cap: (\d+) bytes of step s2 dropped; later output of this job is not uploaded\n$/.exec(a);
    assert.ok(marker, `ends with the marker:\n${a.slice(-300)}`);
    const s2Total = Buffer.byteLength("=== s2 ===\n") + 100 * 100;
    const s2Kept = Buffer.byteLength(a.slice(a.indexOf("=== s2 ==="), a.lastIndexOf("[orun] log truncated")));
    assert.equal(Number(marker[1]), s2Total - s2Kept, "the marker counts the dropped bytes");
    assert.doesNotMatch(a, /third-step/);
    assert.match(r.output, /log of a@dev\.logs truncated/);
    const b = (await backend.store.readLog(NS, runId, "b@dev.logs"))!.toString("utf8");
    assert.match(b, /^=== s1 ===\ny0{97}1\n/);
    assert.match(b, /log truncated at the backend's 4096-byte cap: \d+ bytes of step s1 dropped/);
    const logs = await exitWithin(spawnOrun(["logs", "--remote-state", "--exec-id", runId, "--job", "b@dev.logs"], { cwd: dir, env: e }), 30_000, "orun logs");
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.output, /y0{97}1/);
  });

  it("uses GitHub OIDC only when GITHUB_ACTIONS=true, with ORUN_OIDC_AUDIENCE, retrying a token request that fails transiently", async () => {
    // The token endpoint fails twice (GitHub having a bad moment), then answers from the local issuer.
    let requests = 0;
    const audiences: string[] = [];
    const flaky = http.createServer((req, res) => {
      requests++;
      if (requests <= 2) return void res.writeHead(503).end("unavailable");
      const url = new URL(req.url ?? "/", "http://x");
      audiences.push(url.searchParams.get("audience") ?? "");
      void fetch(`${issuer.tokenRequestUrl}${url.search}`, { headers: { Authorization: req.headers.authorization ?? "" } }).then(async (upstream) => {
        res.writeHead(upstream.status, { "Content-Type": "application/json" }).end(await upstream.text());
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const tokenUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/token?repo=acme/widgets`;
      const planFile = await writePlan(dir, "auth", [{ id: "a@dev.build", steps: ["echo built"] }]);
      const runId = `auth-${++runs}`;
      const oidc = { ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken };
      const gha = await exitWithin(
        spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: env({ ...oidc, ORUN_TOKEN: "", GITHUB_ACTIONS: "true", ORUN_OIDC_AUDIENCE: AUDIENCE, ORUN_EXEC_ID: runId }) }),
        60_000,
        "the OIDC runner",
      );
      assert.equal(gha.code, 0, gha.output);
      assert.ok(requests >= 3, `token requests: ${requests}`);
      assert.ok(audiences.length > 0 && audiences.every((a) => a === AUDIENCE), `audiences asked for: ${audiences.join(", ")}`);
      assert.equal((await jobsOf(runId)).get("a@dev.build")!.status, "success");

      // Outside GitHub Actions, OIDC variables left in the environment do not shadow ORUN_TOKEN.
      const before = requests;
      const local = await exitWithin(
        spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: env({ ...oidc, ORUN_EXEC_ID: `auth-${++runs}` }) }),
        60_000,
        "the ORUN_TOKEN runner",
      );
      assert.equal(local.code, 0, local.output);
      assert.equal(requests, before, "no OIDC token was requested");
    } finally {
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it("in remote mode only the backend's evidence opens a promotion gate, not local execution history", async () => {
    const ledger = path.join(dir, "gate-ledger");
    const gate: PromotionGate = { type: "environment-promotion", environment: "staging", component: "api", condition: "success", match: { revision: "source" } };
    const planFile = await writePlan(
      dir,
      "gated",
      [
        { id: "api@staging.deploy", steps: [`echo staging >> ${ledger}`] },
        { id: "api@prod.deploy", gates: [gate], steps: [`echo prod >> ${ledger}`] },
      ],
      { revision: "0123456789abcdef0123456789abcdef01234567" },
    );
    // Staging succeeded locally: local history has the evidence, the backend does not.
    const localRun = await exitWithin(spawnOrun(["run", planFile, "--env", "staging"], { cwd: dir, env: env({ ORUN_REMOTE_STATE: "" }) }), 60_000, "the local staging run");
    assert.equal(localRun.code, 0, localRun.output);
    const runId = `gated-${++runs}`;
    const prod = await exitWithin(spawnOrun(["run", planFile, "--env", "prod", "--remote-state"], { cwd: dir, env: env({ ORUN_EXEC_ID: runId }) }), 60_000, "the remote prod run");
    assert.equal(prod.code, 1, prod.output);
    assert.match(prod.output, /promotion gate: api must have succeeded in staging/);
    assert.equal(await fs.readFile(ledger, "utf8"), "staging\n", "prod did not run");
    const job = (await jobsOf(runId)).get("api@prod.deploy")!;
    assert.equal(job.status, "failed");
    assert.match(job.lastError ?? "", /^blocked: promotion gate: api must have succeeded in staging/);

    // With staging recorded by the backend (another run, same revision), prod runs.
    const e = env({ ORUN_EXEC_ID: `gated-${++runs}` });
    const staging = await exitWithin(spawnOrun(["run", planFile, "--env", "staging", "--remote-state"], { cwd: dir, env: e }), 60_000, "the remote staging run");
    assert.equal(staging.code, 0, staging.output);
    const prod2 = await exitWithin(spawnOrun(["run", planFile, "--env", "prod", "--remote-state"], { cwd: dir, env: env({ ORUN_EXEC_ID: `gated-${++runs}` }) }), 60_000, "the second remote prod run");
    assert.equal(prod2.code, 0, prod2.output);
    assert.equal(await fs.readFile(ledger, "utf8"), "staging\nstaging\nprod\n");
  });
});

describe("a remote runner against a v2 backend", () => {
  it("keeps every step's output in the job's log: v2 replaces the log on each upload (no appends, no sizes), so the runner uploads the whole log so far", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-v2-logs-"));
    // The v2 protocol as the live backend speaks it: log POSTs replace the log and answer {ok, logRef} without a size.
    const logs = new Map<string, string>();
    const updates: unknown[] = [];
    const v2 = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        const json = (status: number, value: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
        const url = new URL(req.url ?? "/", "http://v2");
        const p = decodeURIComponent(url.pathname);
        if (req.method === "POST" && p === "/v1/runs") return json(201, { runId: "v2-run", status: "running", createdAt: new Date().toISOString() });
        if (p.endsWith("/claim")) return json(200, { claimed: true });
        if (p.endsWith("/heartbeat")) return json(200, { ok: true });
        if (p.endsWith("/update")) return (updates.push(JSON.parse(body)), json(200, { ok: true }));
        const log = /^\/v1\/runs\/v2-run\/logs\/(.+)$/.exec(p);
        if (log && req.method === "POST") return (logs.set(log[1]!, body), json(200, { ok: true, logRef: `1/runs/v2-run/logs/${log[1]}.log` }));
        json(404, { error: "Not found", code: "NOT_FOUND" });
      });
    });
    await new Promise<void>((resolve) => v2.listen(0, "127.0.0.1", resolve));
    try {
      const planFile = await writePlan(dir, "v2-logs", [{ id: "a@dev.x", steps: ["echo first-step-output", "echo second-step-output", "echo third-step-output"] }]);
      const url = `http://127.0.0.1:${(v2.address() as AddressInfo).port}`;
      const r = await exitWithin(
        spawnOrun(["run", planFile, "--job", "a@dev.x", "--remote-state"], { cwd: dir, env: { ORUN_TOKEN: "orun_t", ORUN_BACKEND_URL: url, ORUN_EXEC_ID: "v2-run", GITHUB_ACTIONS: "" } }),
        60_000,
        "the runner",
      );
      assert.equal(r.code, 0, r.output);
      assert.deepEqual(updates, [{ runnerId: (updates[0] as { runnerId: string }).runnerId, status: "success" }]);
      assert.equal(logs.get("a@dev.x"), "=== s1 ===\nfirst-step-output\n=== s2 ===\nsecond-step-output\n=== s3 ===\nthird-step-output\n");
    } finally {
      await new Promise((resolve) => v2.close(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
