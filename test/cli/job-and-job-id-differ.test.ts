// (rev28) e806b40 refuses a second, different --job (or --job-id), since a run takes one job and the first was dropped
// unsaid. --job and its deprecated alias --job-id are two commander options, each with its own `previous`: given one
// of each, with different jobs, the run takes --job's and drops --job-id's without a word (run.ts: opts.job ?? opts.jobId).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";

const job = (id: string) => {
  const [component, rest] = id.split("@");
  const [environment, name] = rest!.split(".");
  return { id, name, component, environment, steps: [{ id: "s", phase: "main", run: "true" }] };
};

describe("run --job X --job-id Y", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev28-job-id-"));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("is refused naming both, as --job X --job Y is", async () => {
    const file = path.join(dir, "plan.json");
    const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job("a@dev.j"), job("b@dev.k")] };
    await fs.writeFile(file, JSON.stringify(plan));
    const twice = await runOrun(["run", file, "--dry-run", "--job", "a@dev.j", "--job", "b@dev.k"], { cwd: dir });
    assert.notEqual(twice.code, 0);
    const mixed = await runOrun(["run", file, "--dry-run", "--job", "a@dev.j", "--job-id", "b@dev.k"], { cwd: dir });
    assert.notEqual(mixed.code, 0, `exit ${mixed.code}; stdout:\n${mixed.stdout}\nstderr:\n${mixed.stderr}`);
    assert.match(mixed.stderr, /a@dev\.j/);
    assert.match(mixed.stderr, /b@dev\.k/);
  });

  it("takes one job given in both ID forms (component@env.job, component.env.job), to run and to read its logs", async () => {
    const file = path.join(dir, "plan.json");
    const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job("a@dev.j"), job("b@dev.k")] };
    await fs.writeFile(file, JSON.stringify(plan));
    for (const flags of [["--job", "a@dev.j", "--job", "a.dev.j"], ["--job", "a@dev.j", "--job-id", "a.dev.j"]]) {
      const r = await runOrun(["run", file, "--exec-id", "forms", ...flags], { cwd: dir });
      assert.equal(r.code, 0, `${flags.join(" ")}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    }
    const logs = await runOrun(["logs", "--exec-id", "forms", "--job", "a@dev.j", "--job", "a.dev.j"], { cwd: dir });
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  });
});
