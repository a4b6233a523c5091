// docs/getting-started.md, followed literally in an empty git repository: each
// block under a **`path`** heading is written to that file and each ```sh block
// runs as written with `bash -e` (`orun` on PATH is the built binary), in the
// order the page gives them. The only change: the backend the page starts "in a
// second terminal" on 127.0.0.1:8787 is started by the test on a free port,
// with its database where `orun backend serve` in that folder keeps it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { killAllChildren, startBackendProcess, type BackendProcess } from "../remote/processes.js";

const created: string[] = [];
after(async () => {
  killAllChildren();
  await Promise.all(created.map((d) => rm(d, { recursive: true, force: true })));
});

type Block = { kind: "file"; path: string; text: string } | { kind: "sh"; text: string };

/** The page's files (a fenced block right after a **`path`** line) and ```sh blocks, in page order. */
function blocks(page: string): Block[] {
  return [...page.matchAll(/(?:\*\*`([^`]+)`\*\*\n\n)?```(\w+)\n([\s\S]*?)```/g)].flatMap((m): Block[] => {
    if (m[1]) return [{ kind: "file", path: m[1], text: m[3]! }];
    return m[2] === "sh" ? [{ kind: "sh", text: m[3]! }] : [];
  });
}

test("docs/getting-started.md: its files and commands plan, run, inspect, use an action and share a run through a backend", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/getting-started.md"), "utf8");
  const steps = blocks(page);
  assert.ok(steps.filter((b) => b.kind === "file").length >= 6 && steps.filter((b) => b.kind === "sh").length >= 4, "the page shows files and commands");

  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-getting-started-"));
  created.push(dir);
  const bin = path.join(dir, ".bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`);
  await chmod(path.join(bin, "orun"), 0o755);
  const repo = path.join(dir, "repo");
  await mkdir(repo);
  spawnSync("git", ["init", "-q"], { cwd: repo });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  // The page's `git commit`s need an identity, which a user's git has and this machine's may not.
  Object.assign(env, { GIT_AUTHOR_NAME: "Getting Started", GIT_AUTHOR_EMAIL: "gs@orun.invalid", GIT_COMMITTER_NAME: "Getting Started", GIT_COMMITTER_EMAIL: "gs@orun.invalid" });
  for (const name of ["ORUN_TOKEN", "ORUN_BACKEND_URL", "ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "ORUN_PLAN_ID", "GITHUB_ACTIONS"]) delete env[name];

  let backend: BackendProcess | undefined;
  let output = "";
  try {
    for (const block of steps) {
      if (block.kind === "file") {
        await mkdir(path.dirname(path.join(repo, block.path)), { recursive: true });
        await writeFile(path.join(repo, block.path), block.text);
        continue;
      }
      let script = block.text;
      if (script.includes("http://127.0.0.1:8787")) {
        assert.match(page, /start the backend: `orun backend serve`/);
        backend ??= await startBackendProcess(`sqlite:${path.join(repo, ".orun/backend.db")}`);
        script = script.replaceAll("http://127.0.0.1:8787", backend.url);
      }
      const result = await bashScript(script, repo, env);
      output += result.output;
      assert.equal(result.code, 0, `${script}\n---\n${result.output}`);
    }
  } finally {
    await backend?.stop();
  }

  // What the page's comments promise.
  assert.match(output, /✓ All validation passed \(2 components, 4 jobs\)/);
  assert.match(output, /2 components × 2 envs → 4 jobs/);
  for (const job of ["api@dev.deploy", "api@prod.deploy", "web@dev.deploy", "web@prod.deploy"]) assert.ok(output.includes(job), job);
  assert.match(output, /✓ Done in .*\n {2}4 succeeded/, "the local run");
  assert.match(output, /deploying web to prod in eu-west-1 \(port 8080\)/, "orun logs --job web@prod.deploy");
  assert.match(output, /Run: with-actions\n.*· github-actions ·/, "the use: step chose the github-actions runner");
  assert.match(output, /job api@prod\.deploy ran with the github-actions runner; api in prod is live/, "the action's output reached the next step");
  assert.match(output, /Status: ✓ 2 succeeded · ● 0 running · ○ 2 queued/, "remote status: 2 of 4");
  assert.match(output, /✓ web@dev\.deploy \(success on /, "remote logs");
  assert.match(output, /deploying web to dev/);
  // The page commits what it creates and edits, so no plan or run lacks a source revision.
  assert.doesNotMatch(output, /no source revision|no commit yet|uncommitted changes|no promotion evidence/);
});
