// The resume command a run prints and records is pasted in whatever folder the reader is in, and `orun status` shows
// it in any folder. It repeated relative paths as typed (a plan file, -i, --workdir, the record's manifest.json), so
// pasted in another folder it named other files or none; a --workdir ending in a newline split it over two lines; a
// record without metadata.json was blamed on an older orun. Real orun processes, records and `sh`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { shComposition, shIntent } from "../remote/lib-app-repo.js";
import { inShell, jobStatuses, killedRun, resumeLine, statusAdvice } from "../support/resume-hint.js";

const INTENT = shIntent("paths", [{ name: "lib" }]);

/**
 * A root holding the intent in repo/, folders A and B beside it, and `workdir`; lib's step notes the folder it runs
 * in (ran-in) and says it started, then, while `hold` is there, waits for `fixed`; it fails without `fixed`.
 */
async function layout(t: { after(fn: () => Promise<void>): void }, workdir: string): Promise<string> {
  const root = await tempDir("orun-resume-anywhere-");
  t.after(() => removeDir(root));
  for (const dir of ["repo/compositions/sh", "repo/lib", "A", "B", workdir]) await mkdir(path.join(root, dir), { recursive: true });
  const check = `while [ -f ${root}/hold ] && [ ! -f ${root}/fixed ]; do sleep 0.1; done; test -f ${root}/fixed`;
  await writeFile(path.join(root, "repo/compositions/sh/compositions.yaml"), shComposition("check", `pwd > ${root}/ran-in; touch ${root}/started; ${check}`));
  await writeFile(path.join(root, "repo/compositions/stack.yaml"), "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: paths\n  version: 0.1.0\n");
  await writeFile(path.join(root, "repo/intent.yaml"), INTENT);
  return root;
}

/** The folder lib's step last ran in. */
async function ranIn(root: string): Promise<string> {
  return (await readFile(path.join(root, "ran-in"), "utf8")).replace(/\n$/, "");
}

test("a failed run given a plan file, -i and --workdir as relative paths: its resume line, pasted through sh in another folder, resumes it there", async (t) => {
  const root = await layout(t, "wd");
  const A = path.join(root, "A");
  assert.equal((await runOrun(["plan", "-i", "../repo/intent.yaml", "-o", "../plan.json"], { cwd: A })).code, 0);
  const first = await runOrun(["run", "../plan.json", "-i", "../repo/intent.yaml", "--workdir", "../wd", "--exec-id", "rel"], { cwd: A });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const line = resumeLine(first.stdout);
  assert.equal(line, `orun run ${root}/plan.json --exec-id rel -i ${root}/repo/intent.yaml --workdir ${root}/wd`);
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, line, path.join(root, "B"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: rel\n[\s\S]*1 succeeded\n/);
  assert.equal(await ranIn(root), path.join(root, "wd"));
  assert.deepEqual(await jobStatuses(A, "rel", ["-i", "../repo/intent.yaml"]), ["lib@dev.check completed"]);
});

test("a SIGKILLed run with relative paths: the command orun status gives, pasted through sh in another folder, resumes it", async (t) => {
  const root = await layout(t, "wd");
  const A = path.join(root, "A");
  await writeFile(path.join(root, "hold"), "");
  await killedRun(t, ["-i", "../repo/intent.yaml", "--workdir", "../wd", "--exec-id", "killed"], A, path.join(root, "started"));
  const advice = await statusAdvice(A, "killed", ["-i", "../repo/intent.yaml"]);
  assert.equal(advice, `orun run --exec-id killed -i ${root}/repo/intent.yaml --workdir ${root}/wd`);
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, advice, path.join(root, "B"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: killed\n[\s\S]*1 succeeded\n/);
  assert.equal(await ranIn(root), path.join(root, "wd"));
});

test("a plan replaced since the run: the refusal names the record's manifest.json by its absolute path, and pasted in another folder it resumes", async (t) => {
  const root = await layout(t, "wd");
  const A = path.join(root, "A");
  assert.equal((await runOrun(["plan", "-i", "../repo/intent.yaml", "-o", "../plan.json"], { cwd: A })).code, 0);
  assert.equal((await runOrun(["run", "../plan.json", "-i", "../repo/intent.yaml", "--exec-id", "moved"], { cwd: A })).code, 1);
  const composition = path.join(root, "repo/compositions/sh/compositions.yaml");
  await writeFile(composition, (await readFile(composition, "utf8")).replace("touch", "echo replaced; touch"));
  assert.equal((await runOrun(["plan", "-i", "../repo/intent.yaml", "-o", "../plan.json"], { cwd: A })).code, 0);
  const refused = await runOrun(["run", "../plan.json", "-i", "../repo/intent.yaml", "--exec-id", "moved"], { cwd: A });
  assert.equal(refused.code, 1, refused.stdout);
  const advice = /resume it with the plan it was started with \((orun run .*?)\), or use a new --exec-id/.exec(refused.stderr)?.[1];
  assert.equal(advice, `orun run ${root}/repo/.orun/executions/moved/manifest.json --exec-id moved -i ${root}/repo/intent.yaml`, refused.stderr);
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, advice!, path.join(root, "B"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: moved\n[\s\S]*1 succeeded\n/);
});

test("a --workdir ending in a newline: the summary's and status's resume commands are one line, and pasted through sh they run there", async (t) => {
  const root = await layout(t, "wd\n");
  const A = path.join(root, "A");
  const workdir = `"$(printf '${root}/wd\\012/.')"`;
  const failed = await runOrun(["run", "-i", "../repo/intent.yaml", "--workdir", "../wd\n", "--exec-id", "nl1"], { cwd: A });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.equal(resumeLine(failed.stdout), `orun run --exec-id nl1 -i ${root}/repo/intent.yaml --workdir ${workdir}`);
  await writeFile(path.join(root, "hold"), "");
  await rm(path.join(root, "started"));
  await killedRun(t, ["-i", "../repo/intent.yaml", "--workdir", "../wd\n", "--exec-id", "nl2"], A, path.join(root, "started"));
  const advice = await statusAdvice(A, "nl2", ["-i", "../repo/intent.yaml"]);
  assert.equal(advice, `orun run --exec-id nl2 -i ${root}/repo/intent.yaml --workdir ${workdir}`);
  await rm(path.join(root, "ran-in"));
  await writeFile(path.join(root, "fixed"), "");
  const resumed = await inShell(t, advice, path.join(root, "B"));
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: nl2\n[\s\S]*1 succeeded\n/);
  assert.equal(await ranIn(root), path.join(root, "wd\n"));
});

// A record whose metadata.json is gone was said to be "from an older orun"; one whose resumeCommand is empty gave
// `status --json` an empty command while the text gave the bare one.
test("a dead run's record without metadata.json names that file; an empty recorded command reads alike in text and --json", async (t) => {
  const root = await layout(t, "wd");
  const repo = path.join(root, "repo");
  await writeFile(path.join(root, "hold"), "");
  await killedRun(t, ["--exec-id", "nometa"], repo, path.join(root, "started"));
  const metaFile = path.join(repo, ".orun/executions/nometa/metadata.json");
  await rm(metaFile);
  const status = await runOrun(["status", "--exec-id", "nometa"], { cwd: repo });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`resume with: orun run --exec-id nometa\\n {2}! its record has no readable metadata\\.json \\(${metaFile}\\), which says the run's scope or runner: add its`), status.stdout);
  assert.doesNotMatch(status.stdout, /older orun/);
  const json = JSON.parse((await runOrun(["status", "--exec-id", "nometa", "--json"], { cwd: repo })).stdout) as { resumeCommand?: string; resumeScopeUnknown?: boolean };
  assert.deepEqual([json.resumeCommand, json.resumeScopeUnknown], ["orun run --exec-id nometa", true]);

  await rm(path.join(root, "started"));
  await killedRun(t, ["--exec-id", "empty"], repo, path.join(root, "started"));
  const emptyFile = path.join(repo, ".orun/executions/empty/metadata.json");
  await writeFile(emptyFile, JSON.stringify({ ...(JSON.parse(await readFile(emptyFile, "utf8")) as object), resumeCommand: "" }));
  assert.equal(await statusAdvice(repo, "empty"), "orun run --exec-id empty");
  const emptyJson = JSON.parse((await runOrun(["status", "--exec-id", "empty", "--json"], { cwd: repo })).stdout) as { resumeScopeUnknown?: boolean };
  assert.equal(emptyJson.resumeScopeUnknown, true);
});
