// The hand-off changes how jobs start, never what runs: random plans (steps
// that fail, fail tolerated, time out while exiting 0 on SIGTERM, or take a
// moment) run through the spawn helper (hand-offs) and through Node's own
// spawn (none) must record the same statuses and run the same steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type JobSpec, type StateFile } from "../runtime/helpers.js";

type Step = JobSpec["steps"][number];

function randomPlan(random: () => number): { jobs: JobSpec[]; concurrency: number; failFast: boolean } {
  const n = 4 + Math.floor(random() * 9);
  const jobs: JobSpec[] = [];
  for (let i = 0; i < n; i++) {
    const steps: Step[] = [];
    for (let k = 0, count = 1 + Math.floor(random() * 2); k < count; k++) {
      const mark = `echo j${i}s${k} >> ran`;
      const r = random();
      if (r < 0.12) steps.push({ run: `${mark}; exit 3` });
      else if (r < 0.18) steps.push({ run: `${mark}; exit 4`, onFailure: "continue" });
      else if (r < 0.24) steps.push({ run: `trap 'exit 0' TERM; ${mark}; sleep 2 & wait`, timeout: "300ms" });
      else if (r < 0.3) steps.push({ run: `${mark}; sleep 0.05` });
      else steps.push({ run: mark });
    }
    jobs.push({ id: `c@dev.j${i}`, dependsOn: jobs.filter(() => random() < 0.3).map((job) => job.id), steps });
  }
  const concurrency = 1 + Math.floor(random() * 3);
  // Which job a fail-fast stops depends on timing unless jobs run one at a time.
  return { jobs, concurrency, failFast: concurrency === 1 && random() < 0.6 };
}

async function outcome(t: { after(fn: () => Promise<void>): void }, plan: ReturnType<typeof randomPlan>, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = await planDir(t, plan.jobs, { concurrency: plan.concurrency, failFast: plan.failFast }, "orun-cli-handoff-diff-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "x", "--json"], { cwd: dir, env });
  const state = await readJson<StateFile>(recordFile(dir, "x", "state.json"));
  // With several failed dependencies, which one a skip names depends on which ended first.
  const statuses = Object.entries(state.jobs)
    .map(([id, job]) => `${id}=${job.status}${job.reason ? `(${job.reason.replace(/dependency \S+/, "dependency *")})` : ""}`)
    .sort();
  const ran = existsSync(path.join(dir, "ran")) ? (await readFile(path.join(dir, "ran"), "utf8")).split("\n").filter(Boolean).sort() : [];
  return JSON.stringify({ code: run.code, statuses, ran });
}

test("random plans record the same outcome and run the same steps with hand-offs (spawn helper) and without (direct spawn)", async (t) => {
  let seed = 2026;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 10; round++) {
    const plan = randomPlan(random);
    const handed = await outcome(t, plan, {});
    const direct = await outcome(t, plan, { ORUN_LOCAL_SPAWNER: "direct" });
    assert.equal(handed, direct, `round ${round}: ${JSON.stringify(plan)}`);
  }
});
