// The `resume` hint under a failed local run works when followed: it names the plan and repeats the flags that
// shaped it. It was always `orun run --exec-id X`, which compiles a fresh plan of the whole intent; a run of a plan
// narrowed by -e, a stored plan of some components, or a trigger's plan was refused by that command ("execution X
// belongs to plan …"), and a run with --runner was resumed by the default runner. Real orun processes and records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

const COMPOSITION = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: sh
spec:
  type: sh
  defaultJob: check
  parameterSchema:
    type: object
    properties:
      name: { type: string }
      type: { const: sh }
  jobs:
    - name: check
      steps:
        - name: main
          run: test -f ../fixed-{{ .orun.component.name }}
`;

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: hints
compositions:
  sources:
    - name: local
      kind: dir
      path: ./compositions
automation:
  triggerBindings:
    release:
      on: { provider: github, event: push, tags: ["v*"] }
      plan: { scope: full }
environments:
  dev: {}
  prod:
    activation:
      triggerRefs: [release]
components:
  - name: lib
    type: sh
    path: lib
    subscribe:
      environments: [dev, prod]
  - name: app
    type: sh
    path: app
    subscribe:
      environments: [dev, prod]
`;

async function repo(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await tempDir("orun-resume-hint-");
  t.after(() => removeDir(dir));
  await mkdir(path.join(dir, "compositions/sh"), { recursive: true });
  await writeFile(path.join(dir, "compositions/stack.yaml"), "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: hints\n  version: 0.1.0\n");
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), COMPOSITION);
  await writeFile(path.join(dir, "intent.yaml"), INTENT);
  for (const name of ["lib", "app"]) await mkdir(path.join(dir, name));
  return dir;
}

/** The hint's command, as words (no word of these hints needs quoting). */
function resumeHint(stdout: string): string[] {
  const hint = /^ {2}resume {2}(orun run .*)$/m.exec(stdout)?.[1];
  assert.ok(hint, `no resume hint in:\n${stdout}`);
  return hint.split(" ");
}

async function follow(dir: string, hint: string[]) {
  assert.equal(hint[0], "orun");
  return runOrun(hint.slice(1), { cwd: dir });
}

test("a fresh plan narrowed by -e, run with --runner: the hint repeats both, and following it resumes the execution", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "-e", "dev", "--exec-id", "narrow", "--runner", "local"], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  const hint = resumeHint(first.stdout);
  assert.deepEqual(hint, ["orun", "run", "--exec-id", "narrow", "-e", "dev", "--runner", "local"]);
  // The bare command compiles the plan of both environments, which the execution refuses.
  const bare = await runOrun(["run", "--exec-id", "narrow"], { cwd: dir });
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /execution narrow belongs to plan/);
  for (const name of ["lib", "app"]) await writeFile(path.join(dir, `fixed-${name}`), "");
  const resumed = await follow(dir, hint);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /Run: narrow\n/);
  assert.match(resumed.stdout, /2 succeeded\n/);
});

test("a stored plan of one component and a trigger's plan: the hint names the plan, and following it resumes the execution", async (t) => {
  const dir = await repo(t);
  assert.equal((await runOrun(["plan", "--component", "lib", "--name", "libonly"], { cwd: dir })).code, 0);
  const stored = await runOrun(["run", "libonly", "--exec-id", "stored"], { cwd: dir });
  assert.equal(stored.code, 1, stored.stderr);
  const storedHint = resumeHint(stored.stdout);
  assert.deepEqual(storedHint, ["orun", "run", "libonly", "--exec-id", "stored"]);

  const triggered = await runOrun(["run", "--trigger", "release", "--exec-id", "tagged"], { cwd: dir });
  assert.equal(triggered.code, 1, triggered.stderr);
  const triggerHint = resumeHint(triggered.stdout);
  // The trigger's plan is stored by its ID (the same flags plan anew once the tree moves).
  assert.match(triggerHint[2]!, /^[0-9a-f]{12}$/);
  assert.deepEqual(triggerHint.slice(3), ["--exec-id", "tagged"]);

  for (const name of ["lib", "app"]) await writeFile(path.join(dir, `fixed-${name}`), "");
  const resumedStored = await follow(dir, storedHint);
  assert.equal(resumedStored.code, 0, resumedStored.stdout + resumedStored.stderr);
  assert.match(resumedStored.stdout, /Run: stored\n[\s\S]*2 succeeded\n/);
  const resumedTrigger = await follow(dir, triggerHint);
  assert.equal(resumedTrigger.code, 0, resumedTrigger.stdout + resumedTrigger.stderr);
  assert.match(resumedTrigger.stdout, /Run: tagged\n[\s\S]*2 succeeded\n/);
});

test("a fresh plan of the whole intent keeps the bare hint", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "--exec-id", "whole"], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  assert.deepEqual(resumeHint(first.stdout), ["orun", "run", "--exec-id", "whole"]);
});
