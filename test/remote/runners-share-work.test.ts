// Runners walking the same plan (no --job, or --env) share its jobs: a slot that finds a job another runner holds
// moves on to another ready job, and waits for the held one only when none is left. Before, the slot waited on the
// held job ("● job X is running in remote run … waiting"), so ten runners all waited on the first few jobs (user
// testing: 10 runners × 4 slots ran at most 4 jobs at a time). Real `orun run --remote-state` processes, a real
// backend on loopback.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

async function planFile(dir: string, name: string, jobs: { id: string; deps?: string[]; run: string }[], concurrency: number): Promise<string> {
  const planJobs: PlanJob[] = jobs.map((j) => {
    const [component, rest] = j.id.split("@");
    const [environment, jobName] = rest!.split(".");
    return { id: j.id, name: jobName!, component: component!, environment: environment!, dependsOn: j.deps ?? [], steps: [{ id: "main", phase: "main", run: j.run }] };
  });
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name }, execution: { concurrency, failFast: false }, spec: {}, jobs: planJobs };
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(plan, null, 2));
  return file;
}

describe("runners without --job share the plan's jobs", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-share-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const env = (backend: TestBackend, token: string, runId: string): NodeJS.ProcessEnv => ({
    ORUN_TOKEN: token,
    ORUN_BACKEND_URL: backend.url,
    ORUN_EXEC_ID: runId,
    GITHUB_ACTIONS: "",
    ORUN_REMOTE_STATE: "",
  });

  it("a one-slot runner runs the job nobody holds while another runner holds the first one, then waits for that one", { timeout: 120_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const started = path.join(dir, "a-started");
      const go = path.join(dir, "a-go");
      const file = await planFile(
        dir,
        "held-first",
        [
          { id: "a@dev.first", run: `touch ${started}; while [ ! -f ${go} ]; do sleep 0.05; done` },
          { id: "b@dev.second", run: "true" },
          { id: "c@dev.after", deps: ["a@dev.first"], run: "true" },
        ],
        1,
      );
      const e = env(backend, token, "held-first-1");
      const holder = spawnOrun(["run", file, "--job", "a@dev.first", "--remote-state"], { cwd: dir, env: e });
      await until(() => existsSync(started), "a to start on the first runner", 60_000);
      const walker = spawnOrun(["run", file, "--remote-state"], { cwd: dir, env: e });
      const status = async (job: string) => (await backend.store.getRun(NS, "held-first-1"))?.jobs.find((j) => j.jobId === job)?.status;
      // b runs on the walker while a is still held (its one slot did not wait on a).
      await until(async () => (await status("b@dev.second")) === "success", "b to run on the second runner while a is held", 60_000);
      assert.equal(await status("a@dev.first"), "running");
      await fs.writeFile(go, "");
      assert.equal((await holder.done).code, 0);
      const w = await walker.done;
      assert.equal(w.code, 0, w.output);
      assert.match(w.output, /✓ second /);
      assert.match(w.output, /✓ job a@dev\.first already completed in remote run held-first-1/);
      assert.match(w.output, /✓ after /);
      assert.equal(await status("c@dev.after"), "success");
      // The held job's wait is said once, however often the slot came back to it.
      assert.ok((w.output.match(/● job a@dev\.first is running/g) ?? []).length <= 1, w.output);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });

  // Two held jobs come first (a runner takes ready jobs in ID order) and end only once the DAG has run: every slot of
  // every runner (2 each) meets one of them first, so runners that waited on a held job instead of moving on would
  // never run the DAG (deferral off, this test times out waiting for it).
  it("four runners on a 20-job DAG behind two held jobs: every job runs once, none before its dependency ended, and more than one runner runs jobs", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const trace = path.join(dir, "trace.log");
      // 4 layers of 5: cNN depends on c(NN-5); each job notes its start and end with the runner's folder.
      const jobs = Array.from({ length: 20 }, (_, i) => {
        const id = `c${String(i).padStart(2, "0")}@dev.work`;
        const deps = i >= 5 ? [`c${String(i - 5).padStart(2, "0")}@dev.work`] : [];
        return { id, deps, run: `echo "start ${id} $(date +%s%N) $MACHINE" >> ${trace}; sleep 0.3; echo "end ${id} $(date +%s%N)" >> ${trace}` };
      });
      const go = path.join(dir, "dag-done");
      const held = ["a1@dev.hold", "a2@dev.hold"].map((id) => ({ id, run: `echo "start ${id} $(date +%s%N) $MACHINE" >> ${trace}; while [ ! -f ${go} ]; do sleep 0.05; done` }));
      const file = await planFile(dir, "dag", [...held, ...jobs], 2);
      const e = env(backend, token, "dag-1");
      const runners = await Promise.all(
        [1, 2, 3, 4].map(async (n) => {
          const cwd = path.join(dir, `m${n}`);
          await fs.mkdir(cwd);
          return spawnOrun(["run", file, "--remote-state"], { cwd, env: { ...e, MACHINE: `m${n}` } });
        }),
      );
      const dagDone = async () => (await backend.store.getRun(NS, "dag-1"))?.jobs.filter((j) => j.jobId.startsWith("c") && j.status === "success").length === jobs.length;
      await until(dagDone, "the DAG to run while the first two jobs are held", 120_000);
      await fs.writeFile(go, "");
      for (const r of await Promise.all(runners.map((p) => p.done))) assert.equal(r.code, 0, r.output);
      const starts = new Map<string, number[]>();
      const ends = new Map<string, number>();
      const ranOn = new Set<string>();
      for (const line of readFileSync(trace, "utf8").trim().split("\n")) {
        const [what, id, at, where] = line.split(" ") as [string, string, string, string?];
        if (id.endsWith(".hold")) continue;
        if (what === "start") {
          starts.set(id, [...(starts.get(id) ?? []), Number(at)]);
          ranOn.add(where!);
        } else ends.set(id, Number(at));
      }
      for (const job of jobs) {
        assert.equal(starts.get(job.id)?.length, 1, `${job.id} ran once`);
        for (const dep of job.deps) assert.ok(ends.get(dep)! <= starts.get(job.id)![0]!, `${job.id} started after ${dep} ended`);
      }
      const state = (await backend.store.getRun(NS, "dag-1"))!;
      assert.deepEqual(new Set(state.jobs.map((j) => j.status)), new Set(["success"]));
      assert.ok(ranOn.size > 1, `jobs ran on ${[...ranOn].join(", ")}`);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });
});
