// Runtime audit: `--job` names one job explicitly — the working folder's implicit component scope does not
// hide it, and an explicit filter that excludes it says so. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";
import { copyExample } from "../support/examples.js";

test("--job from inside a component folder runs a job of another component (the folder's scope is implicit)", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const api = path.join(dir, "services/api");
  const lib = await runOrun(["run", "--exec-id", "sel", "--job", "shared-lib@dev.build"], { cwd: api });
  assert.equal(lib.code, 0, lib.stdout + lib.stderr);
  const worker = await runOrun(["run", "--exec-id", "sel", "--job", "worker@dev.build"], { cwd: api });
  assert.equal(worker.code, 0, worker.stdout + worker.stderr);
  assert.doesNotMatch(worker.stderr, /auto-scoped/);
  assert.match(worker.stdout, /1 succeeded/);
});

test("--job excluded by an explicit --component/--env says which filter excludes it", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "true" }] }, { id: "b@dev.two", steps: [{ run: "true" }] }]));
  const refused = await runOrun(["run", "plan.json", "--component", "a", "--job", "b.dev.two"], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /job b@dev\.two is not among the jobs selected by --component a/);
  const unknown = await runOrun(["run", "plan.json", "--job", "c@dev.one"], { cwd: dir });
  assert.match(unknown.stderr, /job not found: c@dev\.one/);
});

test("a --component/--env value that matches no job of the plan is named in a warning (a typo no longer passes silently)", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "api@dev.one", steps: [{ run: "true" }] }, { id: "web@prod.two", steps: [{ run: "true" }] }]));
  const env = await runOrun(["run", "plan.json", "--env", "prodution"], { cwd: dir });
  assert.match(env.stderr, /warning: --env prodution matches no job of the plan \(it has dev, prod\)/);
  assert.match(env.stdout, /no jobs run/);
  const component = await runOrun(["run", "plan.json", "--component", "api", "--component", "wbe"], { cwd: dir });
  assert.equal(component.code, 0, component.stdout + component.stderr);
  assert.match(component.stderr, /warning: --component wbe matches no job of the plan \(it has api, web\)/);
  assert.match(component.stdout, /1 succeeded/);
  const prefix = await runOrun(["run", "plan.json", "--component", "w*", "-e", "prod"], { cwd: dir });
  assert.equal(prefix.code, 0, prefix.stdout + prefix.stderr);
  assert.doesNotMatch(prefix.stderr, /warning/);
  assert.match(prefix.stdout, /1 succeeded/);
});

test("orun run refuses flag values that name nothing — an unset CI variable must not run the whole plan", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "echo dev >> ran" }] }, { id: "a@production.one", steps: [{ run: "echo prod >> ran" }] }]));
  const cases: [string[], string][] = [
    [["-e", ""], "-e, --env <name>"],
    [["-e", ","], "-e, --env <name>"],
    [["--component", " "], "--component <name>"],
    [["--job", ""], "--job <id>"],
    [["--job-id", ""], "--job-id <id>"],
    [["--exec-id", ""], "--exec-id <id>"],
    [["--runner", ""], "--runner <name>"],
    [["-p", ""], "-p, --plan <ref>"],
    // Blanks are empty too: `-p " "` read as no plan ran every job of plan.json, production included.
    [["-p", " "], "-p, --plan <ref>"],
    [["--docker-image", "  "], "--docker-image <image>"],
    [["-i", ""], "-i, --intent <path>"],
    [["-c", ""], "-c, --config-dir <path>"],
    [["--docker-image", ""], "--docker-image <image>"],
  ];
  for (const [args, flag] of cases) {
    const result = await runOrun(["run", "plan.json", ...args], { cwd: dir });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^✕ option '${flag.replace(/[-[\]]/g, "\\$&")}' argument '${args.at(-1)}' is invalid\\. it (names nothing|is empty)`), args.join(" "));
  }
  const ran = await import("node:fs/promises").then((fs) => fs.readFile(path.join(dir, "ran"), "utf8").catch(() => ""));
  assert.equal(ran, "", "nothing ran");
  const plan = await runOrun(["plan", "-i", ""], { cwd: dir });
  assert.equal(plan.code, 1);
  assert.match(plan.stderr, /^✕ option '-i, --intent <file>' argument '' is invalid\. it is empty/);
});

test("orun run \"\" (an unset plan-ID variable) is refused; --component takes comma lists like -e", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "echo a >> ran" }] }, { id: "b@dev.one", steps: [{ run: "echo b >> ran" }] }, { id: "c@dev.one", steps: [{ run: "echo c >> ran" }] }]));
  for (const ref of ["", "  "]) {
    const result = await runOrun(["run", ref, "--dry-run"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "✕ the plan or component argument is empty; leave it out to run a fresh plan of the intent\n");
  }
  const both = await runOrun(["run", "plan.json", "--component", "a,b"], { cwd: dir });
  assert.equal(both.code, 0, both.stdout + both.stderr);
  const ran = await import("node:fs/promises").then((fs) => fs.readFile(path.join(dir, "ran"), "utf8"));
  assert.deepEqual(ran.trim().split("\n").sort(), ["a", "b"]);
});
