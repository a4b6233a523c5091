// (rev28) a refused `orun run --background --json` resume of a record whose earlier background start had failed changes
// how the record reads. The start removes background-error.json (background.ts: "an earlier child's start-up failure
// is not this one's"); 3cf1373's discardRefusedStart then puts run.log and the pid file back as they were, but not
// that file — so `orun status` turns from "State: failed … (a --background run that did not start)" into
// "State: interrupted … the run (pid N) is no longer alive; resume with: orun run --exec-id X": a run that never ran,
// called interrupted, with advice to resume it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";

const job = (id: string, dependsOn: string[] = []) => {
  const [component, rest] = id.split("@");
  const [environment, name] = rest!.split(".");
  return { id, name, component, environment, ...(dependsOn.length ? { dependsOn } : {}), steps: [{ id: "s", phase: "main", run: "true" }] };
};
const plan = (name: string, jobs: unknown[]) => ({ apiVersion: "orun.io/v1", kind: "Plan", metadata: { name }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a refused --background --json resume", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev28-bg-json-"));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("leaves the record reading as it did", { timeout: 120_000 }, async () => {
    const one = path.join(dir, "one.json");
    const two = path.join(dir, "two.json");
    await fs.writeFile(one, JSON.stringify(plan("one", [job("a@dev.j")])));
    await fs.writeFile(two, JSON.stringify(plan("two", [job("a@dev.j"), job("b@dev.k", ["a@dev.j"])])));
    const record = path.join(dir, ".orun/executions/bg1");
    assert.equal((await runOrun(["run", one, "--exec-id", "bg1"], { cwd: dir })).code, 0);
    // A background resume with another plan: its child is refused and says so in the record (background-error.json).
    const first = await runOrun(["run", two, "--background", "--exec-id", "bg1"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    await until(() => existsSync(path.join(record, "background-error.json")), "the first child's refusal in the record", 60_000);
    const firstPid = Number((await fs.readFile(path.join(record, "pid"), "utf8")).trim());
    await until(() => !alive(firstPid), "the first child to exit", 60_000);
    const before = await runOrun(["status", "--exec-id", "bg1"], { cwd: dir });
    assert.match(before.stdout, /State: failed/);

    // The same start with --json: refused in the parent, which takes back what its start wrote.
    const second = await runOrun(["run", two, "--background", "--json", "--exec-id", "bg1"], { cwd: dir });
    assert.equal(second.code, 1, second.stdout + second.stderr);
    const afterwards = await runOrun(["status", "--exec-id", "bg1"], { cwd: dir });
    const shown = `--- before ---\n${before.stdout}\n--- after ---\n${afterwards.stdout}`;
    assert.match(afterwards.stdout, /State: failed/, shown);
    assert.doesNotMatch(afterwards.stdout, /no longer alive/, shown);
  });
});
