// Two whole-plan `orun run --remote-state` processes share one plan through `orun backend serve` (a process, on
// SQLite and on PostgreSQL). Mid-run the runner holding a slow job is killed with SIGKILL, and the backend is
// killed and restarted on the same port. The survivor takes the job over once its lease (--lease-timeout 5s, the
// documented setting) runs out, every job runs after its dependencies, `orun status` and `orun logs` answer
// while jobs run, and the run ends completed.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import type { StoreKind } from "./helpers.js";
import { spawnOrun, writePlan, type OrunProcess } from "./processes.js";
import { backendProcessBed } from "./backend-process-bed.js";
import { until } from "../support/wait.js";

/** The runner process (of `runners`) that `pid` descends from, read from /proc. */
function ancestorAmong(pid: number, runners: OrunProcess[]): OrunProcess | undefined {
  for (let current = pid, hops = 0; current > 1 && hops < 10; hops++) {
    const found = runners.find((r) => r.child.pid === current);
    if (found) return found;
    const status = readFileSync(`/proc/${current}/status`, "utf8");
    current = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return undefined;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`remote run under fire on ${kind}: a runner SIGKILLed mid-job, the backend restarted`, () => {
    const open = backendProcessBed(kind, "chaos", ["--lease-timeout", "5s", "--sweep-interval", "200ms", "--rate-limit", "100000/100000"]);

    it("the survivor takes the job over after the lease, and the run completes in order", { timeout: 180_000 }, async (t) => {
      const bed = await open(t);
      if (!bed) return;
      const { dir, token } = bed;
      const ledger = path.join(dir, "ledger");
      const slowPid = path.join(dir, "slow.pid");
      const release = path.join(dir, "release");
      // The slow job waits for `release` the first time; a take-over finds its marker and finishes at once.
      const slow = `if [ -f ${slowPid} ]; then echo slow@dev.build >> ${ledger}; else echo $$ > ${slowPid}.tmp && mv ${slowPid}.tmp ${slowPid}; while [ ! -f ${release} ]; do sleep 0.05; done; fi`;
      const jobs = [
        { id: "base@dev.build", run: `echo base@dev.build >> ${ledger}` },
        { id: "slow@dev.build", deps: ["base@dev.build"], run: slow },
        ...Array.from({ length: 6 }, (_, i) => ({ id: `w${i}@dev.build`, deps: ["base@dev.build"], run: `echo w${i}@dev.build >> ${ledger}` })),
        { id: "after@dev.deploy", deps: ["slow@dev.build", "w0@dev.build", "w5@dev.build"], run: `echo after@dev.deploy >> ${ledger}` },
      ];
      const planFile = await writePlan(dir, "chaos", jobs);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: bed.backend.url, ORUN_EXEC_ID: `chaos-${kind}`, GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "90000" };
      const runners = [0, 1].map(() => spawnOrun(["run", planFile, "--remote-state", "--concurrency", "4"], { cwd: dir, env }));
      await until(() => existsSync(slowPid), "a runner started the slow job", 60_000);
      const holder = ancestorAmong(Number(readFileSync(slowPid, "utf8").trim()), runners);
      assert.ok(holder, "the slow job's runner is one of the two");
      const survivor = runners.find((r) => r !== holder)!;

      // While the slow job runs: status and logs answer from the backend, from another process.
      const status = await spawnOrun(["status", "--remote-state", "--json"], { cwd: dir, env }).done;
      assert.equal(status.code, 0, status.output);
      const seen = (JSON.parse(status.output) as { state: { jobs: Record<string, { status: string }> } }).state.jobs;
      assert.equal(seen["slow@dev.build"]?.status, "running", status.output);
      const logs = await spawnOrun(["logs", "--remote-state", "--job", "base@dev.build"], { cwd: dir, env }).done;
      assert.equal(logs.code, 0, logs.output);

      holder.child.kill("SIGKILL");
      await holder.done;
      // The backend goes down hard and comes back on the same port and database.
      await bed.backend.stop("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 500));
      await bed.restart();

      const result = await survivor.done;
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /taking over job slow@dev\.build from a previous runner/);
      const lines = (await fs.readFile(ledger, "utf8")).trim().split("\n");
      // Every job once (the killed attempt of slow wrote nothing), each after its dependencies.
      assert.deepEqual([...lines].sort(), jobs.map((j) => j.id).sort(), lines.join(", "));
      for (const job of jobs) for (const dep of job.deps ?? []) assert.ok(lines.indexOf(dep) < lines.indexOf(job.id), `${dep} before ${job.id}: ${lines.join(", ")}`);
      const final = await spawnOrun(["status", "--remote-state", "--json"], { cwd: dir, env }).done;
      assert.equal(final.code, 0, final.output);
      assert.equal((JSON.parse(final.output) as { meta: { status: string } }).meta.status, "completed", final.output);
    });
  });
}
