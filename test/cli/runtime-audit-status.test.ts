// Runtime audit: `orun status` — a run that died (SIGKILL) shows what it left running as interrupted; --all
// says why a run failed and has a JSON form.
// Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { makePlan, readJson, type JobSpec, type StateFile, planDir, recordFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-audit-rt-");

const record = recordFile;

test("status of an interrupted run shows the jobs it left running as interrupted, not running", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "echo a" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "touch b.started; sleep 30" }] },
  ]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "crash"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  t.after(() => void child.kill("SIGKILL"));
  await until(async () => {
    if (!existsSync(path.join(dir, "b.started"))) return false;
    try {
      return (await readJson<StateFile>(record(dir, "crash", "state.json"))).jobs["b@dev.two"]?.status === "running";
    } catch {
      return false;
    }
  }, "job b to be recorded running");
  child.kill("SIGKILL");
  await exited;
  const status = await runOrun(["status", "--exec-id", "crash"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
  assert.match(status.stdout, /● 0 running/);
  assert.match(status.stdout, /! 1 interrupted/);
  assert.match(status.stdout, /! two {2}interrupted/);
});

test("status --all names blocked jobs, so a failed run with no failed job says why", async (t) => {
  const dir = await setup(t, [{ id: "a@prod.deploy", policies: { requireApproval: "true" }, steps: [{ run: "true" }] }]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "gated"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const list = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(list.stdout, /gated +failed +test +0 succeeded · 0 failed · 1 blocked +now/);
});

test("status --all counts skipped jobs, so 1 succeeded · 1 failed is not all a 3-job run did (doc29)", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.build", steps: [{ run: "exit 3" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "true" }] },
    { id: "b@dev.build", steps: [{ run: "true" }] },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "skips"], { cwd: dir })).code, 1);
  const list = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(list.stdout, /skips +failed +test +1 succeeded · 1 failed · 1 skipped +now/);
});

test("status --all --json lists every execution as {execID, meta, state}; an unreadable one names its error", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "true" }] }]);
  for (const id of ["one", "two"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  await writeFile(record(dir, "one", "state.json"), "{");
  const list = await runOrun(["status", "--all", "--json"], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as { execID: string; meta?: { status: string }; state?: unknown; error?: { message: string } }[];
  assert.deepEqual(rows.map((row) => row.execID).sort(), ["one", "two"]);
  const two = rows.find((row) => row.execID === "two")!;
  assert.equal(two.meta?.status, "completed");
  assert.ok(two.state);
  const one = rows.find((row) => row.execID === "one")!;
  assert.match(one.error?.message ?? "", /state\.json.*corrupt execution state/);
  assert.equal(one.meta?.status, "completed", "the metadata that is still readable is shown");
  const text = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(text.stdout, /\? one +unreadable +test +state\.json unreadable +now/);
  // Metadata gone as well: the file named is still the one that cannot be read.
  await rm(record(dir, "one", "metadata.json"));
  assert.match((await runOrun(["status", "--all"], { cwd: dir })).stdout, /\? one +unreadable +— +state\.json unreadable/);
});
