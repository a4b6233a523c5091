// The examples' READMEs, followed literally: every ```sh block runs as written
// with bash (`orun` on PATH is the built binary), in a fresh copy of the
// example, and must succeed and print what its comments promise. The only
// change: the backend the remote-state README starts on 127.0.0.1:8787 runs on
// a free port instead (tests share the machine).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { killAllChildren, startBackendProcess } from "../remote/processes.js";
import { copyExample } from "../support/examples.js";

const created: string[] = [];
after(async () => {
  killAllChildren();
  await Promise.all(created.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A copy of examples/<name> without state or build output, and its README's ```sh blocks. */
async function example(name: string): Promise<{ dir: string; blocks: string[] }> {
  const source = path.join(PROJECT_ROOT, "examples", name);
  const dir = await tempDir(`orun-readme-${name}-`);
  await copyExample(name, dir);
  const readme = await readFile(path.join(source, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, `examples/${name}/README.md shows commands`);
  return { dir, blocks };
}

/** A PATH entry whose `orun` is the built binary, as after `npm link`. */
async function orunOnPath(): Promise<string> {
  const bin = await tempDir("orun-readme-bin-");
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`);
  await chmod(path.join(bin, "orun"), 0o755);
  return bin;
}

/** Runs a README block with `bash -e` (each command must succeed), in `cwd`. */
async function bash(script: string, cwd: string, bin: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  for (const name of ["ORUN_TOKEN", "ORUN_BACKEND_URL", "ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "GITHUB_ACTIONS"]) delete env[name];
  return bashScript(script, cwd, env);
}

test("examples/platform/README.md: its commands plan, show the DAG and run all 10 jobs", async () => {
  const { dir, blocks } = await example("platform");
  const result = await bash(blocks.join("\n"), dir, await orunOnPath());
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /4 components × 3 envs → 10 jobs/);
  assert.match(result.output, /^Component graph$/m);
  assert.match(result.output, /✓ Done in .*\n {2}10 succeeded/);
});

test("examples/remote-state-matrix/README.md: plan, a local run, then one job and an environment slice through a backend", async () => {
  const { dir, blocks } = await example("remote-state-matrix");
  // `orun backend serve` in the example folder: SQLite in .orun/backend.db, where `orun backend token create` looks too.
  const backend = await startBackendProcess(`sqlite:${path.join(dir, ".orun/backend.db")}`);
  const script = blocks.join("\n").replaceAll("http://127.0.0.1:8787", backend.url);
  assert.notEqual(script, blocks.join("\n"), "the README points at the default backend address");
  const result = await bash(script, dir, await orunOnPath());
  await backend.stop();
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /✓ Done in .*\n {2}6 succeeded/, "the whole plan ran locally");
  assert.match(result.output, /Status: ✓ 4 succeeded · ● 0 running · ○ 2 queued/, "status shows what the comment says");
  assert.match(result.output, /✓ foundation@dev\.smoke \(success on /, "logs come from the backend");
  assert.match(result.output, /foundation@dev on \S+ as runner local, run demo-1/);
});
