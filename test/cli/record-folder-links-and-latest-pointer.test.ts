// Hostile record layouts (a record restored from an artifact, or planted in a checkout): an `executions/latest`
// link to `.`, `..` or itself passed for a run of no plan (status exit 0); a record folder or its `logs/` that is
// a symbolic link had the run write its record, and `orun logs` read logs, wherever the link led; a file in
// place of `logs/` failed the run with a bare EEXIST and passed for "no step printed any output".
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile, removeDir, tempDir } from "../runtime/helpers.js";

const JOBS = [{ id: "app@dev.build", steps: [{ run: "echo built" }] }];

async function ranOnce(t: { after(fn: () => Promise<void>): void }, execId: string): Promise<string> {
  const dir = await planDir(t, JOBS, { name: "links" }, "orun-hostile-rec-");
  const run = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  return dir;
}

test("a latest link to '.', '..', itself or outside the store falls back to the newest record", async (t) => {
  const dir = await ranOnce(t, "real");
  const latest = path.join(dir, ".orun/executions/latest");
  for (const target of [".", "..", "../../..", "latest", "/"]) {
    await rm(latest, { force: true });
    await symlink(target, latest);
    const status = await runOrun(["status", "--json"], { cwd: dir });
    assert.equal(status.code, 0, `${target}: ${status.stderr}`);
    assert.equal((JSON.parse(status.stdout) as { execID: string }).execID, "real", `latest -> ${target}`);
    const logs = await runOrun(["logs"], { cwd: dir });
    assert.equal(logs.code, 0, `${target}: ${logs.stderr}`);
    assert.match(logs.stdout, /built/, `latest -> ${target}`);
  }
});

test("a record folder that is a symbolic link is refused by run, status and logs, and nothing is written where it leads", async (t) => {
  const dir = await ranOnce(t, "real");
  const elsewhere = await tempDir("orun-hostile-rec-target-");
  t.after(() => removeDir(elsewhere));
  await symlink(elsewhere, path.join(dir, ".orun/executions/linked"));
  for (const args of [["run", "plan.json", "--exec-id", "linked"], ["status", "--exec-id", "linked"], ["logs", "--exec-id", "linked"]]) {
    const r = await runOrun(args, { cwd: dir });
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, /executions\/linked: is a symbolic link, not an execution record/, args.join(" "));
  }
  assert.deepEqual(await readdir(elsewhere), []);
});

test("a file or a symbolic link in place of a record's logs/ is named by run (resume, retry) and logs; the record is kept", async (t) => {
  const dir = await ranOnce(t, "L");
  const logsDir = recordFile(dir, "L", "logs");
  const stateBefore = await readFile(recordFile(dir, "L", "state.json"), "utf8");
  const elsewhere = await tempDir("orun-hostile-logs-target-");
  t.after(() => removeDir(elsewhere));
  await mkdir(path.join(elsewhere, "app@dev.build"));
  await writeFile(path.join(elsewhere, "app@dev.build", "s1.log"), "NOT THIS RUN'S\n");
  const plants: [string, () => Promise<void>, string][] = [
    ["a file", () => writeFile(logsDir, "x"), "is not a folder"],
    ["a symbolic link", () => symlink(elsewhere, logsDir), "is a symbolic link"],
  ];
  for (const [what, plant, message] of plants) {
    await rm(logsDir, { recursive: true, force: true });
    await plant();
    for (const args of [["run", "plan.json", "--exec-id", "L"], ["run", "plan.json", "--exec-id", "L", "--job", "app@dev.build", "--retry"], ["logs", "--exec-id", "L"]]) {
      const r = await runOrun(args, { cwd: dir });
      assert.equal(r.code, 1, `${what}, ${args.join(" ")}: ${r.stdout}`);
      assert.ok(r.stderr.includes(`${logsDir}: `) && r.stderr.includes(message), `${what}, ${args.join(" ")}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /NOT THIS RUN'S/);
    }
    assert.equal(await readFile(recordFile(dir, "L", "state.json"), "utf8"), stateBefore, `${what}: state.json unchanged`);
    assert.deepEqual(await readdir(path.join(elsewhere, "app@dev.build")), ["s1.log"], `${what}: nothing written where the link leads`);
  }
  // Put right, the record resumes and retries as before: the refusals left no lock behind.
  await rm(logsDir, { force: true });
  const retry = await runOrun(["run", "plan.json", "--exec-id", "L", "--job", "app@dev.build", "--retry"], { cwd: dir });
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.match((await runOrun(["logs", "--exec-id", "L"], { cwd: dir })).stdout, /built/);
});
