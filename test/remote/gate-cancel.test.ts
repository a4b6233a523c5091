// Ctrl-C while a promotion gate asks the backend for its evidence: the runner exits 130 at once, as it does
// while waiting for anything else (cancel-while-retrying.test.ts), instead of retrying the evidence query for
// the client's whole retry budget. A loopback relay in front of a real backend answers GET /v1/evidence with
// 503 (an overloaded backend) and passes everything else through.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { killAllChildren, spawnOrun, type OrunProcess } from "./processes.js";
import { startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";

function printed(proc: OrunProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (re.test(proc.output())) resolve();
    };
    proc.child.stdout?.on("data", check);
    proc.child.stderr?.on("data", check);
    check();
    void proc.done.then(() => (re.test(proc.output()) ? resolve() : reject(new Error(`exited before printing ${re}: ${proc.output()}`))));
  });
}

describe("remote runner: Ctrl-C during a promotion-gate evidence query", () => {
  let dir: string;
  let db: TestDatabase;
  let backend: TestBackend;
  let relay: http.Server;
  let relayUrl: string;
  let token: string;
  let evidenceAsked: () => void;
  let evidenceQueries = 0;
  const asked = new Promise<void>((resolve) => (evidenceAsked = resolve));

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-gate-cancel-"));
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url);
    token = await tokenFor(backend.store, "acme/widgets");
    const target = new URL(backend.url);
    relay = http.createServer((req, res) => {
      if (req.url?.startsWith("/v1/evidence")) {
        evidenceQueries++;
        evidenceAsked();
        res.writeHead(503, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "overloaded", code: "UNAVAILABLE" }));
        return;
      }
      const forward = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  after(async () => {
    killAllChildren();
    relay?.closeAllConnections();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await backend?.stop();
    await db?.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("exits 130 soon after the Ctrl-C, not after the retry budget, and records no gate verdict", async () => {
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "gated", revision: "0123456789abcdef0123456789abcdef01234567" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [
        {
          id: "api@prod.deploy",
          name: "deploy",
          component: "api",
          environment: "prod",
          dependsOn: [],
          gates: [{ type: "environment-promotion", component: "api", environment: "staging", condition: "success", match: { revision: "0123456789abcdef0123456789abcdef01234567" } }],
          steps: [{ id: "main", phase: "main", run: "echo deployed" }],
        },
      ],
    };
    const planFile = path.join(dir, "gated.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const run = spawnOrun(["run", planFile, "--remote-state", "--backend-url", relayUrl, "--job", "api@prod.deploy", "--exec-id", "gate-cancel"], {
      cwd: dir,
      env: { ORUN_TOKEN: token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "60000" },
    });
    await asked;
    await printed(run, /is busy/);
    const sent = Date.now();
    run.child.kill("SIGINT");
    const result = await run.done;
    assert.equal(result.code, 130, result.output);
    // A third of the retry budget: room for a loaded machine (5.7 s seen beside the 50-runner test), far from 60 s.
    assert.ok(result.exitedAt - sent < 20_000, `exited ${result.exitedAt - sent} ms after SIGINT (retry budget 60 s): ${result.output}`);
    assert.doesNotMatch(result.output, /is unavailable|gave up after|deployed/);
    assert.ok(evidenceQueries >= 1);
    // Not blocked by the gate (it was never decided): given back (pending again), as a job stopped while it runs.
    const jobs = await fetch(`${backend.url}/v1/runs/gate-cancel/jobs`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ jobs: { jobId: string; status: string; lastError?: string }[] }>);
    const job = jobs.jobs.find((j) => j.jobId === "api@prod.deploy");
    assert.ok(job, JSON.stringify(jobs));
    assert.doesNotMatch(job.lastError ?? "", /^blocked/, JSON.stringify(job));
    assert.equal(job.status, "pending", JSON.stringify(job));
    assert.match(job.lastError ?? "", /^released by its runner \S+: canceled before it started/, JSON.stringify(job));
  });
});
