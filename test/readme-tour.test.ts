// README.md's tour, followed literally: its ```bash blocks run as written with
// `bash -e` (`orun` on PATH is the built binary) in a fresh copy of
// examples/platform, the remote block against a backend started, as the README
// says, in that folder — on a free port instead of 8787. What the blocks'
// comments promise is then checked in their output.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, PROJECT_ROOT } from "./support/cli.js";
import { bashScript } from "./support/bash.js";
import { killAllChildren, startBackendProcess, type BackendProcess } from "./remote/processes.js";
import { copyExample } from "./support/examples.js";

const created: string[] = [];
after(async () => {
  killAllChildren();
  await Promise.all(created.map((d) => rm(d, { recursive: true, force: true })));
});

test("README.md's tour: plan, validate, inspect, preview, run, status, logs, resume, retry, then one job through a backend", async () => {
  const readme = await readFile(path.join(PROJECT_ROOT, "README.md"), "utf8");
  const tour = readme.slice(readme.indexOf("## A tour"), readme.indexOf("\n## ", readme.indexOf("## A tour") + 1));
  const blocks = [...tour.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 2, "the tour shows a local block and a remote block");
  assert.match(tour, /In `examples\/platform`/);
  assert.match(tour, /with `orun backend serve` running in the same folder/);

  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-readme-tour-"));
  created.push(dir);
  const bin = path.join(dir, ".bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`);
  await chmod(path.join(bin, "orun"), 0o755);
  const repo = path.join(dir, "platform");
  // The checkout's own runs (npm run demo) stay behind.
  await copyExample("platform", repo);
  spawnSync("git", ["init", "-q"], { cwd: repo });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  for (const name of ["ORUN_TOKEN", "ORUN_BACKEND_URL", "ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "ORUN_PLAN_ID", "GITHUB_ACTIONS"]) delete env[name];

  const local = await bashScript(blocks[0]!, repo, env);
  assert.equal(local.code, 0, local.output);
  const out = local.output;
  assert.match(out, /4 components × 3 envs → 10 jobs/, "orun plan");
  assert.match(out, /Component graph/, "-v dag");
  assert.match(out, /✓ All validation passed \(4 components, 10 jobs\)/, "orun validate");
  assert.match(out, /PLAN: orun-example-platform \(\w+\) · 10 jobs/, "orun get jobs");
  assert.match(out, /site@production\.publish \(4 steps\) → api@production\.build/, "describe plan latest: jobs with dependencies");
  assert.match(out, /3 components × 2 envs → 5 jobs/, "the narrower plan");
  assert.match(out, /dry-run: nothing will be executed[\s\S]*Preview ready: 10 jobs selected/, "run --dry-run");
  assert.match(out, /Run: tour-1\n[^\n]*\n(?: {2}✓ [^\n]+\n){10}\n✓ Done in [^\n]+\n {2}10 succeeded/, "the run");
  assert.match(out, /State: completed/, "orun status");
  assert.match(out, /── api@dev\.build › compile {2}\(completed\)\nwrote dist\/api-dev\.txt/, "orun logs --job api@dev.build");
  assert.match(out, /10 already completed/, "the resume skips what is done");
  assert.match(out, /Target: api@dev\.build[\s\S]*✓ api·dev\/build[\s\S]*\n {2}1 succeeded/, "--retry runs the job again");

  let backend: BackendProcess | undefined;
  try {
    backend = await startBackendProcess(`sqlite:${path.join(repo, ".orun/backend.db")}`);
    assert.ok(blocks[1]!.includes("http://127.0.0.1:8787"), "the README's backend URL");
    const remote = await bashScript(blocks[1]!.replaceAll("http://127.0.0.1:8787", backend.url), repo, env);
    assert.equal(remote.code, 0, remote.output);
    assert.match(remote.output, /Run: laptop-1 \(remote\) {2}· {2}Local record: laptop-1\.\w+ {2}· {2}Target: shared-lib@dev\.build[\s\S]*✓ shared-lib·dev\/build/, "one runner's job");
    assert.match(remote.output, /Status: ✓ 1 succeeded · ● 0 running · ○ 9 queued/, "the shared run's status");
  } finally {
    await backend?.stop();
  }
});
