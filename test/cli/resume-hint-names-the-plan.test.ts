// The `resume` hint under a failed local run works when followed: it names the plan and repeats the flags that
// shaped it. It was always `orun run --exec-id X`, which compiles a fresh plan of the whole intent; a run of a plan
// narrowed by -e, a stored plan of some components, or a trigger's plan was refused by that command ("execution X
// belongs to plan …"), and a run with --runner was resumed by the default runner. Real orun processes and records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { inShell, jobStatuses, killedRun, resumeLine, statusAdvice } from "../support/resume-hint.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { shComposition } from "../remote/lib-app-repo.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { until } from "../support/wait.js";

const COMPOSITION = shComposition("check", "test -f ../fixed-{{ .orun.component.name }}");

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

const LIB_INLINE = `  - name: lib
    type: sh
    path: lib
    subscribe:
      environments: [dev, prod]
`;

/** `libManifest`: lib declared by lib/component.yaml, so a run started in lib/ is scoped to it (src/planner/scope.ts). */
async function repo(t: { after(fn: () => Promise<void>): void }, options: { libManifest?: boolean } = {}): Promise<string> {
  const dir = await tempDir("orun-resume-hint-");
  t.after(() => removeDir(dir));
  await mkdir(path.join(dir, "compositions/sh"), { recursive: true });
  await writeFile(path.join(dir, "compositions/stack.yaml"), "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: hints\n  version: 0.1.0\n");
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), COMPOSITION);
  await writeFile(path.join(dir, "intent.yaml"), options.libManifest ? INTENT.replace(LIB_INLINE, "") : INTENT);
  for (const name of ["lib", "app"]) await mkdir(path.join(dir, name));
  if (options.libManifest) {
    const manifest = "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: lib}\nspec:\n  type: sh\n  subscribe:\n    environments: [dev, prod]\n";
    await writeFile(path.join(dir, "lib/component.yaml"), manifest);
  }
  return dir;
}

async function fixAll(dir: string): Promise<void> {
  for (const name of ["lib", "app"]) await writeFile(path.join(dir, `fixed-${name}`), "");
}

test("a fresh plan narrowed by -e, run with --runner: the hint repeats both, and following it resumes the execution", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "-e", "dev", "--exec-id", "narrow", "--runner", "local"], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  const hint = resumeLine(first.stdout);
  assert.equal(hint, "orun run --exec-id narrow -e dev --runner local");
  // The bare command compiles the plan of both environments, which the execution refuses.
  const bare = await runOrun(["run", "--exec-id", "narrow"], { cwd: dir });
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /execution narrow belongs to plan/);
  for (const name of ["lib", "app"]) await writeFile(path.join(dir, `fixed-${name}`), "");
  const resumed = await inShell(t, hint, dir);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: narrow\n/);
  assert.match(resumed.output, /2 succeeded\n/);
});

test("a stored plan of one component and a trigger's plan: the hint names the plan, and following it resumes the execution", async (t) => {
  const dir = await repo(t);
  assert.equal((await runOrun(["plan", "--component", "lib", "--name", "libonly"], { cwd: dir })).code, 0);
  const stored = await runOrun(["run", "libonly", "--exec-id", "stored"], { cwd: dir });
  assert.equal(stored.code, 1, stored.stderr);
  const storedHint = resumeLine(stored.stdout);
  assert.equal(storedHint, "orun run libonly --exec-id stored");

  const triggered = await runOrun(["run", "--trigger", "release", "--exec-id", "tagged"], { cwd: dir });
  assert.equal(triggered.code, 1, triggered.stderr);
  const triggerHint = resumeLine(triggered.stdout);
  // The trigger's plan is stored by its ID (the same flags plan anew once the tree moves).
  assert.match(triggerHint, /^orun run [0-9a-f]{12} --exec-id tagged$/);

  for (const name of ["lib", "app"]) await writeFile(path.join(dir, `fixed-${name}`), "");
  const resumedStored = await inShell(t, storedHint, dir);
  assert.equal(resumedStored.code, 0, resumedStored.output);
  assert.match(resumedStored.output, /Run: stored\n[\s\S]*2 succeeded\n/);
  const resumedTrigger = await inShell(t, triggerHint, dir);
  assert.equal(resumedTrigger.code, 0, resumedTrigger.output);
  assert.match(resumedTrigger.output, /Run: tagged\n[\s\S]*2 succeeded\n/);
});

test("a fresh plan of the whole intent keeps the bare hint", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "--exec-id", "whole"], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  assert.equal(resumeLine(first.stdout), "orun run --exec-id whole");
});

// The hint keeps the failed run's scope (--all, -e, --component, --job) and names its plan as `orun run` looks it up.
// It lost them: `--all` from a component folder resumed only that component (exit 0, the execution still failed);
// `-e dev` of a stored plan, `--component` and `--job` were dropped, so following the hint ran jobs the run excluded.

test("--all from inside a component folder: the hint repeats it, and following it there finishes the execution", async (t) => {
  const dir = await repo(t, { libManifest: true });
  const lib = path.join(dir, "lib");
  const first = await runOrun(["run", "--all", "-e", "dev", "--exec-id", "wide"], { cwd: lib });
  assert.equal(first.code, 1, first.stderr);
  const line = resumeLine(first.stdout);
  assert.equal(line, "orun run --exec-id wide -e dev --all");
  await fixAll(dir);
  const resumed = await inShell(t, line, lib);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /2 succeeded\n/);
  const status = await runOrun(["status", "--exec-id", "wide", "--json"], { cwd: dir });
  assert.equal(JSON.parse(status.stdout).meta.status, "completed", status.stdout);
});

test("-e of a stored plan, --component and --job: the hint repeats them (and --no-fail-fast), and following it runs only the run's scope", async (t) => {
  const dir = await repo(t);
  assert.equal((await runOrun(["plan", "--name", "all"], { cwd: dir })).code, 0);
  const runs: Array<[string, string[], string, RegExp]> = [
    ["envs", ["all", "-e", "dev"], "orun run all --exec-id envs -e dev --no-fail-fast", /2 succeeded\n/],
    ["comp", ["--component", "lib"], "orun run --exec-id comp --component lib --no-fail-fast", /2 succeeded\n/],
    ["one", ["--job", "lib@dev.check"], "orun run --exec-id one --no-fail-fast --job lib@dev.check", /1 succeeded\n/],
  ];
  const lines: string[] = [];
  for (const [id, args, expected] of runs) {
    const first = await runOrun(["run", ...args, "--exec-id", id, "--no-fail-fast"], { cwd: dir });
    assert.equal(first.code, 1, first.stderr);
    lines.push(resumeLine(first.stdout));
    assert.equal(lines.at(-1), expected);
  }
  await fixAll(dir);
  for (const [index, [, , , ran]] of runs.entries()) {
    const resumed = await inShell(t, lines[index]!, dir);
    assert.equal(resumed.code, 0, resumed.output);
    assert.match(resumed.output, ran);
    // Jobs outside the failed run's scope are not run by its resume.
    assert.doesNotMatch(resumed.output, index === 0 ? /prod/ : index === 1 ? /app·/ : /app·|prod/);
  }
});

test("a stored plan named like a script in the folder, a plan file named -x.json or with control characters: the hint names each as orun run finds it", async (t) => {
  const dir = await repo(t);
  await writeFile(path.join(dir, "release"), "#!/bin/sh\necho release\n", { mode: 0o755 });
  assert.equal((await runOrun(["plan", "-e", "dev", "--name", "release"], { cwd: dir })).code, 0);
  const odd = "nl\nx\u001b[31m.json";
  for (const file of ["-dash.json", odd]) assert.equal((await runOrun(["plan", "-e", "dev", "-o", `./${file}`], { cwd: dir })).code, 0);
  const runs: Array<[string, string[], string]> = [
    ["rel", ["release"], "orun run release --exec-id rel --no-fail-fast"],
    ["dash", ["--", "-dash.json"], `orun run ${dir}/-dash.json --exec-id dash --no-fail-fast`],
    ["odd", [odd], `orun run "$(printf '${dir}/nl\\012x\\033[31m.json')" --exec-id odd --no-fail-fast`],
  ];
  const lines: string[] = [];
  for (const [id, args, expected] of runs) {
    const first = await runOrun(["run", "--exec-id", id, "--no-fail-fast", ...args], { cwd: dir });
    assert.equal(first.code, 1, first.stderr);
    // One line, no raw control character.
    assert.ok(!first.stdout.includes("\u001b"), first.stdout);
    lines.push(resumeLine(first.stdout));
    assert.equal(lines.at(-1), expected);
  }
  await fixAll(dir);
  for (const [index, [id]] of runs.entries()) {
    const resumed = await inShell(t, lines[index]!, dir);
    assert.equal(resumed.code, 0, resumed.output);
    assert.match(resumed.output, new RegExp(`Run: ${id}\\n[\\s\\S]*2 succeeded\\n`));
  }
});

test("a runner chosen by ORUN_RUNNER: the hint repeats it as --runner, so a shell without it (GITHUB_ACTIONS=true here) resumes with it", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "-e", "dev", "--exec-id", "envrunner"], { cwd: dir, env: { ORUN_RUNNER: "local", GITHUB_ACTIONS: "true" } });
  assert.equal(first.code, 1, first.stderr);
  const line = resumeLine(first.stdout);
  assert.equal(line, "orun run --exec-id envrunner -e dev --runner local");
  // The GITHUB_ACTIONS=true auto-selection is no choice of the user's: not repeated.
  const ci = await runOrun(["run", "-e", "dev", "--exec-id", "auto", "--runner", "local"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
  assert.equal(resumeLine(ci.stdout), "orun run --exec-id auto -e dev --runner local");
  await fixAll(dir);
  const resumed = await inShell(t, line, dir, { GITHUB_ACTIONS: "true" });
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Scope: .* · local · /);
});

// The docker runner's image and pull policy from ORUN_DOCKER_IMAGE/ORUN_DOCKER_PULL were not in the hint: in a shell
// without them the resume ran the jobs in the default image, pulled from the network.
const engine = await provideContainerEngine();

test("ORUN_DOCKER_IMAGE and ORUN_DOCKER_PULL chose the docker runner's image: the hint sets them, and sh runs it without them set", { skip: engine.skip }, async (t) => {
  const dir = await repo(t);
  const dockerHost = engine.engine?.env.DOCKER_HOST ? { DOCKER_HOST: engine.engine.env.DOCKER_HOST } : {};
  const settings = { ...dockerHost, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
  const first = await runOrun(["run", "-e", "dev", "--runner", "docker", "--exec-id", "dockerenv"], { cwd: dir, env: settings, timeoutMs: 120_000 });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const line = /^ {2}resume {2}(.*)$/m.exec(first.stdout)?.[1];
  assert.equal(line, `ORUN_DOCKER_IMAGE=${TEST_IMAGE} ORUN_DOCKER_PULL=never orun run --exec-id dockerenv -e dev --runner docker`);
  // A --docker-image flag wins over the variable and is repeated as the flag.
  const flagged = await runOrun(["run", "-e", "dev", "--runner", "docker", "--docker-image", TEST_IMAGE, "--exec-id", "dockerflag"], { cwd: dir, env: settings, timeoutMs: 120_000 });
  assert.match(flagged.stdout, new RegExp(`^ {2}resume {2}ORUN_DOCKER_PULL=never orun run --exec-id dockerflag -e dev --runner docker --docker-image ${TEST_IMAGE}$`, "m"));
  await fixAll(dir);
  const resumed = await inShell(t, line!, dir, dockerHost);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: dockerenv\n[\s\S]*2 succeeded\n/);
});

test("--json: the summary carries resumeCommand, and following it resumes the execution", async (t) => {
  const dir = await repo(t);
  const first = await runOrun(["run", "-e", "dev", "--json", "--exec-id", "asjson"], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  const summary = JSON.parse(first.stdout) as { resumeCommand?: string };
  assert.equal(summary.resumeCommand, "orun run --exec-id asjson -e dev");
  await fixAll(dir);
  const resumed = await inShell(t, summary.resumeCommand!, dir);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /2 succeeded\n/);
});

test("a run scoped to the folder's component that completes it, with another job still failed: the hint widens with --all", async (t) => {
  const dir = await repo(t, { libManifest: true });
  const lib = path.join(dir, "lib");
  assert.equal((await runOrun(["run", "--all", "-e", "dev", "--exec-id", "rest", "--no-fail-fast"], { cwd: lib })).code, 1);
  await writeFile(path.join(dir, "fixed-lib"), "");
  const scoped = await runOrun(["run", "-e", "dev", "--exec-id", "rest"], { cwd: lib });
  assert.equal(scoped.code, 0, scoped.stdout + scoped.stderr);
  assert.match(scoped.stdout, /! execution rest is still failed: app@dev\.check \(failed\)/);
  const line = resumeLine(scoped.stdout);
  assert.equal(line, "orun run --exec-id rest -e dev --all");
  await writeFile(path.join(dir, "fixed-app"), "");
  const resumed = await inShell(t, line, lib);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /1 succeeded · 1 already completed\n/);
  const status = await runOrun(["status", "--exec-id", "rest", "--json"], { cwd: dir });
  assert.equal(JSON.parse(status.stdout).meta.status, "completed", status.stdout);
});

// A second Ctrl-C exits at once; its advice was `orun run --exec-id <id> resumes it`, a placeholder where the
// summary's resume line (which that exit never prints) names the plan, the flags and the ID.
test("a second Ctrl-C names the same resume command as the summary, and following it through sh resumes the execution", async (t) => {
  const dir = await repo(t);
  // Until fixed, the step outlives SIGTERM and says it got one (the first Ctrl-C reached orun, which stops its steps).
  const step = "if [ -f ../fixed-{{ .orun.component.name }} ]; then exit 0; fi; trap '' INT; trap 'touch ../stopping' TERM; touch ../started; while :; do sleep 1; done";
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), shComposition("check", step));
  const child = spawn(process.execPath, [ORUN_BIN, "run", "-e", "dev", "--component", "lib", "--exec-id", "ctrlc"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", ORUN_RUNNER: "", ORUN_EXEC_ID: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  t.after(() => void child.kill("SIGKILL"));
  await until(() => existsSync(path.join(dir, "started")), "the step to start");
  child.kill("SIGINT");
  await until(() => existsSync(path.join(dir, "stopping")), "orun to stop the step");
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  const advice = /\(see orun status; (.*) resumes it\)\n/.exec(stderr)?.[1];
  assert.equal(advice, "orun run --exec-id ctrlc -e dev --component lib", stderr);
  await fixAll(dir);
  const resumed = await inShell(t, advice!, dir);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /Run: ctrlc\n[\s\S]*1 succeeded\n/);
});

// A run killed outright (SIGKILL, OOM, a killed CI job) prints no summary: `orun status` gives its resume command.
// It was `orun run --exec-id X` whatever the run's scope and runner: pasted, it ran every job of a fresh plan with the
// default runner. The run now records, when it starts, the command its summary would print.
test("orun status of a SIGKILLed run names the resume command its summary would print; through sh it runs the run's scope alone", async (t) => {
  const dir = await repo(t);
  const step = "if [ -f ../fixed-{{ .orun.component.name }} ]; then exit 0; fi; touch ../started; while [ ! -f ../fixed-{{ .orun.component.name }} ]; do sleep 0.1; done";
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), shComposition("check", step));
  await killedRun(t, ["--job", "lib@dev.check", "--runner", "local", "--exec-id", "killed"], dir, path.join(dir, "started"));
  const advice = await statusAdvice(dir, "killed");
  assert.equal(advice, "orun run --exec-id killed --runner local --job lib@dev.check");
  const status = await runOrun(["status", "--exec-id", "killed"], { cwd: dir });
  assert.doesNotMatch(status.stdout, /older orun/, status.stdout);
  const json = await runOrun(["status", "--exec-id", "killed", "--json"], { cwd: dir });
  const shown = JSON.parse(json.stdout) as { interrupted?: boolean; resumeScopeUnknown?: boolean };
  assert.deepEqual([shown.interrupted, shown.resumeScopeUnknown], [true, undefined], json.stdout);

  await fixAll(dir);
  const resumed = await inShell(t, advice, dir);
  assert.equal(resumed.code, 0, resumed.output);
  // lib ran again; app (and prod) never were in the run's scope, and still are not.
  assert.deepEqual(await jobStatuses(dir, "killed"), ["lib@dev.check completed"], resumed.output);
});

test("orun status of a dead run whose record has no resume command (an older orun's) says its scope and runner are not known", async (t) => {
  const dir = await repo(t);
  const step = "if [ -f ../fixed-{{ .orun.component.name }} ]; then exit 0; fi; touch ../started; while :; do sleep 0.1; done";
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), shComposition("check", step));
  await killedRun(t, ["--job", "lib@dev.check", "--exec-id", "old"], dir, path.join(dir, "started"));
  const metaFile = path.join(dir, ".orun/executions/old/metadata.json");
  const meta = JSON.parse(await readFile(metaFile, "utf8")) as Record<string, unknown>;
  assert.equal(meta.resumeCommand, "orun run --exec-id old --job lib@dev.check");
  delete meta.resumeCommand;
  await writeFile(metaFile, JSON.stringify(meta));

  const status = await runOrun(["status", "--exec-id", "old"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /no longer alive; resume with: orun run --exec-id old\n {2}! its record, from an older orun, does not say the run's scope or runner: add its --job\/--component\/-e and --runner flags/, status.stdout);
  const json = JSON.parse((await runOrun(["status", "--exec-id", "old", "--json"], { cwd: dir })).stdout) as { resumeCommand?: string; resumeScopeUnknown?: boolean };
  assert.deepEqual([json.resumeCommand, json.resumeScopeUnknown], ["orun run --exec-id old", true]);
});

// A run started in a component's folder is scoped to that component without a flag. Its recorded command was the bare
// `orun run --exec-id X`, which status prints from any folder of the intent: pasted at the root, it ran every component.
test("a SIGKILLed run scoped by its component folder records that scope as --component; pasted at the repo root it runs that component alone", async (t) => {
  const dir = await repo(t, { libManifest: true });
  const step = "if [ -f ../fixed-{{ .orun.component.name }} ]; then exit 0; fi; touch ../started; while [ ! -f ../fixed-{{ .orun.component.name }} ]; do sleep 0.1; done";
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), shComposition("check", step));
  await killedRun(t, ["-e", "dev", "--exec-id", "folder"], path.join(dir, "lib"), path.join(dir, "started"));
  const advice = await statusAdvice(dir, "folder");
  assert.equal(advice, "orun run --exec-id folder -e dev --component lib");
  await fixAll(dir);
  const resumed = await inShell(t, advice, dir);
  assert.equal(resumed.code, 0, resumed.output);
  assert.deepEqual(await jobStatuses(dir, "folder"), ["lib@dev.check completed"], resumed.output);
});

// A stored plan's name repointed after the run (`orun plan --name shared` again) refuses the recorded command, and the
// refusal named `orun run <record>/manifest.json --exec-id X` without the run's --job or runner flags: pasted, it ran
// every job of the recorded plan.
test("a stored plan replaced after the run: the refusal names the record's plan with this command's --job and --runner; through sh it runs that job alone", async (t) => {
  const dir = await repo(t);
  assert.equal((await runOrun(["plan", "--name", "shared"], { cwd: dir })).code, 0);
  const first = await runOrun(["run", "shared", "--job", "lib@dev.check", "--runner", "local", "--exec-id", "L1"], { cwd: dir, env: { ORUN_RUNNER: "" } });
  assert.equal(first.code, 1, first.stderr);
  const line = resumeLine(first.stdout);
  assert.equal(line, "orun run shared --exec-id L1 --runner local --job lib@dev.check");
  await writeFile(path.join(dir, "compositions/sh/compositions.yaml"), shComposition("check", "test -f ../fixed-{{ .orun.component.name }} && echo replaced"));
  assert.equal((await runOrun(["plan", "--name", "shared"], { cwd: dir })).code, 0);
  const refused = await inShell(t, line, dir);
  assert.equal(refused.code, 1, refused.output);
  const advice = /resume it with the plan it was started with \((orun run .*?)\), or use a new --exec-id/.exec(refused.output)?.[1];
  assert.equal(advice, `orun run ${dir}/.orun/executions/L1/manifest.json --exec-id L1 --runner local --job lib@dev.check`, refused.output);
  await fixAll(dir);
  const resumed = await inShell(t, advice!, dir);
  assert.equal(resumed.code, 0, resumed.output);
  assert.deepEqual(await jobStatuses(dir, "L1"), ["lib@dev.check completed"], resumed.output);
});

// `--job app@dev.check` before lib ran was refused with `e.g. orun run --exec-id B1`: a fresh plan, every job.
test("--job of a job whose dependency has not run: the refusal names this command with the dependency's --job; through sh it runs that job alone", async (t) => {
  const dir = await repo(t);
  const appEntry = "  - name: app\n    type: sh\n    path: app\n    subscribe:\n      environments: [dev, prod]\n";
  const intent = await readFile(path.join(dir, "intent.yaml"), "utf8");
  await writeFile(path.join(dir, "intent.yaml"), intent.replace(appEntry, `${appEntry}    dependsOn:\n      - component: lib\n        condition: success\n`));
  const refused = await runOrun(["run", "-e", "dev", "--job", "app@dev.check", "--runner", "local", "--exec-id", "B1"], { cwd: dir, env: { ORUN_RUNNER: "" } });
  assert.equal(refused.code, 1, refused.stdout);
  const advice = /dependencies not completed \(lib@dev\.check\)[\s\S]*run it first: (orun run .*)\)\n/.exec(refused.stderr)?.[1];
  assert.equal(advice, "orun run --exec-id B1 -e dev --runner local --job lib@dev.check", refused.stderr);
  await fixAll(dir);
  const ran = await inShell(t, advice!, dir);
  assert.equal(ran.code, 0, ran.output);
  assert.deepEqual(await jobStatuses(dir, "B1"), ["lib@dev.check completed"], ran.output);
});
