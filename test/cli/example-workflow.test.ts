// The shipped GitHub Actions workflow must fit this repository: its intent
// directory exists and its environment fan-out covers the plan's environments;
// and the seed's matrix steps work on that directory against a real backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../support/cli.js";
import { compilePlan } from "../../src/planner/compile.js";
import { createToken } from "../../src/remote/backend/auth/tokens.js";
import { startTestBackend, testDatabase } from "../remote/helpers.js";
import { killAllChildren, spawnOrun } from "../remote/processes.js";
import { copyExample } from "../support/examples.js";

interface Workflow {
  permissions?: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, { strategy?: { matrix?: { env_name?: string[] } } }>;
}

test("examples/github-actions/remote-state-matrix.yml runs an intent directory of this repository, fanning out over its environments", async () => {
  const workflow = parse(readFileSync(path.join(PROJECT_ROOT, "examples/github-actions/remote-state-matrix.yml"), "utf8")) as Workflow;
  const workdir = path.join(PROJECT_ROOT, workflow.env.ORUN_WORKDIR);
  assert.ok(existsSync(path.join(workdir, "intent.yaml")), `${workflow.env.ORUN_WORKDIR} has an intent.yaml`);
  const { plan } = await compilePlan({ cwd: workdir, now: new Date(0) });
  const environments = [...new Set(plan.jobs.map((job) => job.environment))].sort();
  assert.deepEqual([...(workflow.jobs["run-env-fanout"].strategy?.matrix?.env_name ?? [])].sort(), environments);
  // Its runners authenticate with OIDC (docs/remote-state.md: no secret): GitHub issues their tokens only under
  // `id-token: write`, and a permissions block sets every permission it leaves out to none (checkout needs contents).
  assert.deepEqual(workflow.permissions, { contents: "read", "id-token": "write" });
});

test("the seed's matrix steps run examples/remote-state-matrix through a backend: one leg per job, then an environment fan-out", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-rsm-example-"));
  const db = (await testDatabase("sqlite"))!;
  const backend = await startTestBackend(db.url, { leaseMs: 10_000 });
  t.after(async () => {
    killAllChildren();
    await backend.stop();
    await db.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  await copyExample("remote-state-matrix", dir);
  const token = (await createToken(backend.store, "local:acme/remote-state-matrix")).token;
  const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_REMOTE_STATE: "true", GITHUB_ACTIONS: "" };

  // The plan job: `orun plan --name remote-state-e2e --all`, then the plan ID from `orun get plans -o json`.
  assert.equal((await spawnOrun(["plan", "--name", "remote-state-e2e", "--all"], { cwd: dir }).done).code, 0);
  const plans = JSON.parse((await spawnOrun(["get", "plans", "-o", "json"], { cwd: dir }).done).output) as { Name: string; Checksum: string }[];
  const planId = plans.find((p) => p.Name === "remote-state-e2e")!.Checksum;
  const jobs = (JSON.parse((await spawnOrun(["get", "jobs", "--plan", planId, "--all", "-o", "json"], { cwd: dir }).done).output) as { id: string }[]).map((j) => j.id);
  assert.deepEqual(jobs.sort(), ["api@dev.smoke", "api@stage.smoke", "foundation@dev.smoke", "foundation@stage.smoke", "web@dev.smoke", "web@stage.smoke"]);

  // The matrix: one `orun run <plan_id> --job <id> --remote-state --backend-url … --gha --verbose` per job, all at once,
  // dependents first, so the backend's DAG order is what holds them back.
  const legs = [...jobs].reverse().map((job) =>
    spawnOrun(["run", planId, "--job", job, "--remote-state", "--backend-url", backend.url, "--gha", "--verbose"], { cwd: dir, env: { ...env, ORUN_EXEC_ID: "gha-1-1-matrix" } }),
  );
  for (const leg of legs) {
    const result = await leg.done;
    assert.equal(result.code, 0, result.output);
  }
  const status = JSON.parse((await spawnOrun(["status", "--remote-state", "--exec-id", "gha-1-1-matrix", "--json"], { cwd: dir, env }).done).output) as { state: { jobs: Record<string, { status: string }> } };
  assert.deepEqual(Object.values(status.state.jobs).map((j) => j.status), jobs.map(() => "completed"));
  const logs = await spawnOrun(["logs", "--remote-state", "--exec-id", "gha-1-1-matrix", "--job", "foundation@dev.smoke"], { cwd: dir, env }).done;
  assert.match(logs.output, /foundation@dev on \S+ as runner github-actions, run gha-1-1-matrix$/m, "steps see the shared run ID as ORUN_EXEC_ID");
  // Decision 1: the dotted form names the same jobs, remote logs included.
  const dotted = await spawnOrun(["logs", "--remote-state", "--exec-id", "gha-1-1-matrix", "--job", "foundation.dev"], { cwd: dir, env }).done;
  assert.match(dotted.output, /foundation@dev on \S+ as runner github-actions/);

  // The environment fan-out: `--env dev` and `--env stage` share another run.
  const slices = ["dev", "stage"].map((name) => spawnOrun(["run", planId, "--env", name, "--remote-state", "--gha"], { cwd: dir, env: { ...env, ORUN_EXEC_ID: "gha-1-1-env" } }));
  for (const slice of slices) assert.equal((await slice.done).code, 0);
  const envStatus = JSON.parse((await spawnOrun(["status", "--remote-state", "--exec-id", "gha-1-1-env", "--json"], { cwd: dir, env }).done).output) as { state: { jobs: Record<string, { status: string }> } };
  assert.equal(Object.values(envStatus.state.jobs).filter((j) => j.status === "completed").length, 6);
});

test("a matrix leg without the plan job's .orun/plans is told to bring the plan, not that no component matched", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-rsm-noplan-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await copyExample("remote-state-matrix", dir);
  const leg = await spawnOrun(["run", "77d618ffcad2", "--job", "foundation@dev.smoke"], { cwd: dir }).done;
  assert.equal(leg.code, 1);
  assert.match(leg.output, /✕ no stored plan matches "77d618ffcad2" \(in .*\.orun\/plans\) and no component has that name/);
  assert.match(leg.output, /copy its \.orun\/plans \(e\.g\. actions\/upload-artifact/);
  // A real component name still compiles a fresh plan for it.
  assert.equal((await spawnOrun(["run", "foundation", "--env", "dev"], { cwd: dir }).done).code, 0);
});
