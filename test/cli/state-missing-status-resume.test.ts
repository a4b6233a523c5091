// A record whose state.json is gone (deleted, lost in a copy) while its metadata and logs remain. `orun status` said
// `State: completed` with every job "not run" and no warning, and a resume ran every job again, a deploy too (rev24
// finding 4). Now status says state.json is missing, naming it, and claims neither completion nor "not run"; a resume
// is refused naming the file (as a journal without its state.json is), with what to do. Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { inShell } from "../support/resume-hint.js";
import { planDir, recordFile, tempDir } from "../runtime/helpers.js";

test("status of a record without state.json says so; a resume is refused until the logs go too", async (t) => {
  const marker = path.join(await tempDir("orun-state-missing-marker-"), "deployed");
  t.after(() => rm(path.dirname(marker), { recursive: true, force: true }));
  const dir = await planDir(
    t,
    [
      { id: "app@dev.build", steps: [{ id: "main", run: "echo built" }] },
      { id: "app@dev.deploy", dependsOn: ["app@dev.build"], steps: [{ id: "main", run: `echo deployed; touch ${JSON.stringify(marker)}` }] },
    ],
    { name: "lost" },
    "orun-state-missing-",
  );
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "H"], { cwd: dir })).code, 0);
  const state = recordFile(dir, "H", "state.json");
  const metadata = await readFile(recordFile(dir, "H", "metadata.json"), "utf8");
  await rm(state);
  await rm(marker);

  const status = await runOrun(["status", "--exec-id", "H"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /State: unknown/);
  assert.doesNotMatch(status.stdout, /State: completed|not run/);
  assert.ok(status.stdout.includes(`! its state.json is missing (${state}): which jobs ran and how they ended is not recorded`), status.stdout);
  const json = await runOrun(["status", "--exec-id", "H", "--json"], { cwd: dir });
  assert.equal((JSON.parse(json.stdout) as { stateMissing?: string }).stateMissing, state);
  const all = await runOrun(["status", "--all"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.match(all.stdout, /H\s+unknown\s+lost\s+state\.json missing/);

  const resume = await runOrun(["run", "plan.json", "--exec-id", "H"], { cwd: dir });
  assert.equal(resume.code, 1, resume.stdout);
  assert.ok(resume.stderr.includes(`✕ ${state}: execution H has no state.json, but its logs show 2 job(s) ran (app@dev.build, app@dev.deploy)`), resume.stderr);
  assert.equal(existsSync(marker), false, "deploy did not run again");
  assert.equal(existsSync(state), false, "nothing was written");
  assert.equal(await readFile(recordFile(dir, "H", "metadata.json"), "utf8"), metadata);

  // The hint's way to run every job again in the record: its logs removed, the resume runs.
  const removal = /or delete the record's logs too \((rm -r .*?)\) to run every job again in it/.exec(resume.stderr)?.[1];
  assert.ok(removal, resume.stderr);
  assert.equal((await inShell(t, removal, dir)).code, 0);
  const rerun = await runOrun(["run", "plan.json", "--exec-id", "H"], { cwd: dir });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(existsSync(marker), true);
});
