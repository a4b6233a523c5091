// examples/release-flow/README.md followed literally: its ```sh block runs as
// written with `bash -e` (`orun` on PATH is the built binary) in a copy of the
// example committed to a fresh git repository (gates compare revisions), and
// prints what its comments promise.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { copyExample } from "../support/examples.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

test("examples/release-flow/README.md: trigger-scoped plans, a promotion gate, then approval, then the release", async () => {
  const source = path.join(PROJECT_ROOT, "examples/release-flow");
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-release-flow-"));
  created.push(dir);
  const repo = path.join(dir, "repo");
  await copyExample("release-flow", repo);
  const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "example");
  const bin = path.join(dir, "bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`);
  await chmod(path.join(bin, "orun"), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  for (const name of ["ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "ORUN_PLAN_ID", "GITHUB_ACTIONS"]) delete env[name];

  const readme = await readFile(path.join(source, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, "the README shows its commands");
  const result = await bashScript(blocks[0]!, repo, env);
  assert.equal(result.code, 0, result.output);
  const out = result.output;

  assert.match(out, /2 components × 1 env → 2 jobs/, "a merge to main plans staging only");
  const gated = out.indexOf("exit 1: gated");
  assert.ok(gated > 0, out);
  assert.match(out.slice(0, gated), /⊘ api·production\/deploy +blocked · promotion gate: api must have succeeded in staging/);
  assert.match(out, /✓ web·staging\/deploy/);
  const unapproved = out.indexOf("exit 1: not approved");
  assert.ok(unapproved > gated, out);
  assert.match(out.slice(gated, unapproved), /blocked · policy requireApproval: rerun with --approve/);
  assert.match(out.slice(unapproved), /✓ api·production\/deploy[\s\S]*✓ web·production\/deploy[\s\S]*2 succeeded/, "the approved release runs");
  assert.match(out, /api@production\.deploy \(1 steps\) \[gated on api@staging\]/, "describe shows the gates");
});
