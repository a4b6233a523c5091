// A run's record names the paths of its resume command that lie inside its repository relative to it, and `orun
// status`/`orun logs` print them under where the repository is now. Recorded absolute, the command failed once the
// repository was moved ("intent file not found"), and resumed the record of another checkout made at the old path,
// leaving this one interrupted. Real orun processes, records, `mv`, a copy and `sh`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { shComposition, shIntent } from "../remote/lib-app-repo.js";
import { inShell, jobStatuses, killedRun, statusAdvice } from "../support/resume-hint.js";

const INTENT = shIntent("moved", [{ name: "lib" }]);

/**
 * The repository in <root>/repo (lib, wd), B beside it. lib's step notes the folder it runs in (<root>/ran-in), says
 * it started, then waits while <root>/hold is there and <root>/fixed is not; it fails without `fixed`.
 */
async function layout(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const root = await tempDir("orun-resume-moved-");
  t.after(() => removeDir(root));
  for (const dir of ["repo/compositions/sh", "repo/lib", "repo/wd", "B"]) await mkdir(path.join(root, dir), { recursive: true });
  const check = `while [ -f ${root}/hold ] && [ ! -f ${root}/fixed ]; do sleep 0.1; done; test -f ${root}/fixed`;
  await writeFile(path.join(root, "repo/compositions/sh/compositions.yaml"), shComposition("check", `pwd > ${root}/ran-in; touch ${root}/started; ${check}`));
  await writeFile(path.join(root, "repo/compositions/stack.yaml"), "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: moved\n  version: 0.1.0\n");
  await writeFile(path.join(root, "repo/intent.yaml"), INTENT);
  return root;
}

/** The files of execution `execId`'s record in `repo` that a run rewrites. */
async function recordFiles(repo: string, execId: string): Promise<string[]> {
  const dir = path.join(repo, ".orun/executions", execId);
  return Promise.all(["metadata.json", "state.json"].map((file) => readFile(path.join(dir, file), "utf8")));
}

test("a killed run's repository moved: status and logs print its resume command under the new place; pasted elsewhere it resumes the moved record, not a checkout at the old path", async (t) => {
  const root = await layout(t);
  const lib = path.join(root, "repo/lib");
  assert.equal((await runOrun(["plan", "-i", "../intent.yaml", "-o", "../plan.json"], { cwd: lib })).code, 0);
  await writeFile(path.join(root, "hold"), "");
  await killedRun(t, ["../plan.json", "-i", "../intent.yaml", "--workdir", "../wd", "--exec-id", "k1"], lib, path.join(root, "started"));
  await rename(path.join(root, "repo"), path.join(root, "moved"));
  const moved = path.join(root, "moved");
  const expected = `orun run ${moved}/plan.json --exec-id k1 -i ${moved}/intent.yaml --workdir ${moved}/wd`;
  assert.equal(await statusAdvice(moved, "k1"), expected);
  assert.equal(await statusAdvice(path.join(moved, "lib"), "k1"), expected);
  const logs = await runOrun(["logs", "--exec-id", "k1"], { cwd: moved });
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, `No logs for this run: it was interrupted before any step printed output (resume it with ${expected}).\n`);

  // Another checkout now at the old path, with a record of the same ID: the command must leave it alone.
  await cp(moved, path.join(root, "repo"), { recursive: true });
  const other = await recordFiles(path.join(root, "repo"), "k1");
  await rm(path.join(root, "ran-in"));
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, expected, path.join(root, "B"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: k1\n[\s\S]*1 succeeded\n/);
  assert.equal((await readFile(path.join(root, "ran-in"), "utf8")).trim(), path.join(moved, "wd"));
  assert.deepEqual(await jobStatuses(moved, "k1"), ["lib@dev.check completed"]);
  assert.deepEqual(await recordFiles(path.join(root, "repo"), "k1"), other);
  // Recorded as typed at the repository's root (what an older orun prints), with the words status rebuilds it from.
  const meta = JSON.parse((await recordFiles(moved, "k1"))[0]!) as { resumeCommand?: string };
  assert.equal(meta.resumeCommand, "orun run plan.json --exec-id k1 -i intent.yaml --workdir wd");
});

test("a path outside the repository stays absolute in the record: after the repository moved, status still names it", async (t) => {
  const root = await layout(t);
  const repo = path.join(root, "repo");
  await mkdir(path.join(root, "outside"));
  await writeFile(path.join(root, "hold"), "");
  await killedRun(t, ["--workdir", "../outside", "--exec-id", "k2"], repo, path.join(root, "started"));
  const meta = JSON.parse((await recordFiles(repo, "k2"))[0]!) as { resumeCommand?: string };
  assert.equal(meta.resumeCommand, `orun run --exec-id k2 --workdir ${root}/outside`);
  await rename(repo, path.join(root, "moved"));
  assert.equal(await statusAdvice(path.join(root, "moved"), "k2"), `orun run --exec-id k2 --workdir ${root}/outside`);
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, `orun run --exec-id k2 --workdir ${root}/outside`, path.join(root, "moved"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.equal((await readFile(path.join(root, "ran-in"), "utf8")).trim(), path.join(root, "outside"));
});

test("a repository reached through a symlink: paths inside it are recorded relative to it whichever name they were given by, so status follows a move", async (t) => {
  const root = await layout(t);
  const repo = path.join(root, "repo");
  const link = path.join(root, "link");
  await symlink(repo, link);
  assert.equal((await runOrun(["plan", "-o", "plan.json"], { cwd: repo })).code, 0);
  await writeFile(path.join(root, "hold"), "");
  // The record's root found through the link (-i), a path given by the real name (--workdir) …
  await killedRun(t, [`${link}/plan.json`, "-i", `${link}/intent.yaml`, "--workdir", `${repo}/wd`, "--exec-id", "k3"], path.join(link, "lib"), path.join(root, "started"));
  await rm(path.join(root, "started"));
  // … and the root found through the real working folder, a path given through the link.
  await killedRun(t, ["--workdir", `${link}/wd`, "--exec-id", "k4"], repo, path.join(root, "started"));
  const recorded = async (execId: string): Promise<string | undefined> => (JSON.parse((await recordFiles(repo, execId))[0]!) as { resumeCommand?: string }).resumeCommand;
  assert.equal(await recorded("k3"), "orun run plan.json --exec-id k3 -i intent.yaml --workdir wd");
  assert.equal(await recorded("k4"), "orun run --exec-id k4 --workdir wd");
  const moved = path.join(root, "moved");
  await rename(repo, moved);
  assert.equal(await statusAdvice(moved, "k3"), `orun run ${moved}/plan.json --exec-id k3 -i ${moved}/intent.yaml --workdir ${moved}/wd`);
  assert.equal(await statusAdvice(moved, "k4"), `orun run --exec-id k4 --workdir ${moved}/wd`);
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, `orun run --exec-id k4 --workdir ${moved}/wd`, moved);
  assert.equal(resumed.code, 0, resumed.output);
  assert.equal((await readFile(path.join(root, "ran-in"), "utf8")).trim(), path.join(moved, "wd"));
});
