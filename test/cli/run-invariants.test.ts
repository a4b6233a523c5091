// Scheduling invariants over random plans (chains with side branches, failing
// steps, steps that time out yet exit 0 on SIGTERM, concurrency 1–4, fail-fast
// on or off), observed from the steps themselves: each logs its start and end
// with the machine's uptime clock. Never more jobs running than the
// concurrency; a job starts only after every dependency completed and its
// last step ended; a completed job ran each of its steps once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type JobSpec, type StateFile } from "../runtime/helpers.js";

const NOW = "$(cut -d' ' -f1 /proc/uptime)";

function randomPlan(random: () => number): { jobs: JobSpec[]; concurrency: number; failFast: boolean } {
  const jobs: JobSpec[] = [];
  for (let i = 0, n = 4 + Math.floor(random() * 12); i < n; i++) {
    const dependsOn = jobs.filter((_, j) => (j === i - 1 && random() < 0.75) || random() < 0.12).map((job) => job.id);
    const steps: JobSpec["steps"] = [];
    for (let k = 0, count = 1 + Math.floor(random() * 2); k < count; k++) {
      const start = `echo "S j${i} ${NOW}" >> log`;
      const r = random();
      // A step stopped by its timeout exits 0 on SIGTERM and logs no end (its job's end is its start + 0.2 s at most).
      if (r < 0.05) steps.push({ run: `${start}; trap 'exit 0' TERM; sleep 2 & wait`, timeout: "200ms" });
      else steps.push({ run: `${start}; ${r < 0.15 ? "(exit 3)" : `sleep 0.0${Math.floor(random() * 5)}`}; rc=$?; echo "E j${i} ${NOW}" >> log; exit $rc` });
    }
    jobs.push({ id: `c@dev.j${i}`, dependsOn, steps });
  }
  return { jobs, concurrency: 1 + Math.floor(random() * 4), failFast: random() < 0.5 };
}

test("random plans keep the scheduling invariants, hand-offs included", async (t) => {
  let seed = 11;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 12; round++) {
    const plan = randomPlan(random);
    const dir = await planDir(t, plan.jobs, { concurrency: plan.concurrency, failFast: plan.failFast }, "orun-cli-invariants-");
    await runOrun(["run", "plan.json", "--exec-id", "x", "--json"], { cwd: dir });
    const state = (await readJson<StateFile>(recordFile(dir, "x", "state.json"))).jobs;
    const lines = existsSync(path.join(dir, "log")) ? (await readFile(path.join(dir, "log"), "utf8")).split("\n").filter(Boolean) : [];
    const spans = new Map<string, { start: number; end: number; starts: number }>();
    for (const line of lines) {
      const [kind, job, at] = line.split(" ");
      const span = spans.get(`c@dev.${job}`) ?? { start: Infinity, end: -Infinity, starts: 0 };
      if (kind === "S") {
        span.start = Math.min(span.start, Number(at));
        span.starts++;
      } else span.end = Math.max(span.end, Number(at));
      spans.set(`c@dev.${job}`, span);
    }
    for (const span of spans.values()) if (span.end === -Infinity) span.end = span.start + 0.19;
    const context = `round ${round}: ${JSON.stringify(plan)}\n${lines.join("\n")}`;
    const events = [...spans.values()].flatMap((s) => [[s.start, 1], [s.end, -1]]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let running = 0;
    for (const [, delta] of events) {
      running += delta!;
      assert.ok(running <= plan.concurrency, `more than ${plan.concurrency} jobs at once — ${context}`);
    }
    for (const job of plan.jobs) {
      const span = spans.get(job.id);
      if (!span) continue;
      for (const dep of job.dependsOn ?? []) {
        assert.equal(state[dep]?.status, "completed", `${job.id} ran although ${dep} did not complete — ${context}`);
        assert.ok(spans.get(dep)!.end <= span.start, `${job.id} started before ${dep} ended — ${context}`);
      }
      if (state[job.id]?.status === "completed") assert.equal(span.starts, job.steps.length, `${job.id} — ${context}`);
    }
  }
});
