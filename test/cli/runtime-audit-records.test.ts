// Runtime audit: a refused `orun run` leaves the execution record as it was ("bad input … never loses or
// corrupts recorded state"). Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, writePlan, type JobSpec, type StateFile, planDir, recordFile } from "../runtime/helpers.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-audit-rt-");

const record = recordFile;

test("a refused --job (dependencies not completed) leaves the record exactly as it was, --retry included", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "echo a" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "exit 1" }] },
    { id: "c@dev.three", dependsOn: ["b@dev.two"], steps: [{ run: "echo c" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "keep"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  // Another execution becomes latest: a refused command must not repoint it.
  const other = await runOrun(["run", "plan.json", "--exec-id", "other", "--job", "a@dev.one"], { cwd: dir });
  assert.equal(other.code, 0, other.stdout + other.stderr);
  const files = ["state.json", "metadata.json"].map((name) => record(dir, "keep", name));
  const before = await Promise.all(files.map((file) => readFile(file, "utf8")));

  for (const args of [["--job", "c.dev.three", "--retry"], ["--job", "c@dev.three"]]) {
    const refused = await runOrun(["run", "plan.json", "--exec-id", "keep", ...args], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot run c@dev\.three: dependencies not completed \(b@dev\.two\)/);
    assert.deepEqual(await Promise.all(files.map((file) => readFile(file, "utf8"))), before, `${args.join(" ")} changed the record`);
  }
  assert.equal(await readlink(path.join(dir, ".orun/executions/latest")), "other");
  const state = await readJson<StateFile>(files[0]!);
  assert.equal(state.jobs["c@dev.three"]?.status, "skipped", "c's record survives the refused retry");

  // A refused --job on a new exec-id leaves no failed record behind either.
  const fresh = await runOrun(["run", "plan.json", "--exec-id", "fresh", "--job", "c@dev.three"], { cwd: dir });
  assert.equal(fresh.code, 1);
  assert.equal(existsSync(record(dir, "fresh", "metadata.json")), false, "no metadata for a run that never started");
  const list = await runOrun(["status", "--all"], { cwd: dir });
  assert.doesNotMatch(list.stdout, /fresh/);
});

test("a refused --job in a folder with no .orun creates nothing there: no .orun/executions/ left empty", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "echo a" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "echo b" }] },
  ]);
  // The plan pasted in another folder (as the refusal's hint would be): the record would go there.
  const elsewhere = path.join(dir, "elsewhere");
  await mkdir(elsewhere);
  const refused = await runOrun(["run", path.join(dir, "plan.json"), "--job", "b@dev.two"], { cwd: elsewhere });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /cannot run b@dev\.two: dependencies not completed \(a@dev\.one\)/);
  assert.deepEqual(await readdir(elsewhere), [], "a refused run creates nothing");
  // Where .orun/ existed already, it stays (only what the refused run made goes).
  await mkdir(path.join(elsewhere, ".orun"));
  const again = await runOrun(["run", path.join(dir, "plan.json"), "--job", "b@dev.two"], { cwd: elsewhere });
  assert.equal(again.code, 1, again.stdout + again.stderr);
  assert.deepEqual(await readdir(path.join(elsewhere, ".orun")), []);
});

test("metadata.json of the wrong shape refuses the resume by name and leaves state.json untouched (a crashed job stays recorded running)", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo a" }] }]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "meta"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  // What a crash mid-job leaves in state.json (resume turns it back to pending), and a metadata file of the wrong
  // shape (one that is not JSON at all is resumed without: test/cli/status-metadata-unreadable.test.ts).
  const stateText = (await readFile(record(dir, "meta", "state.json"), "utf8")).replace('"completed"', '"running"');
  await writeFile(record(dir, "meta", "state.json"), stateText);
  await writeFile(record(dir, "meta", "metadata.json"), '{"execId": "meta", "status": 5}');
  const refused = await runOrun(["run", "plan.json", "--exec-id", "meta"], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /metadata\.json.*corrupt execution metadata/);
  assert.equal(await readFile(record(dir, "meta", "state.json"), "utf8"), stateText);
  assert.equal(await readFile(record(dir, "meta", "metadata.json"), "utf8"), '{"execId": "meta", "status": 5}');
});

test("--workdir that is not a directory is a usage error naming the flag, before any record is made", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo a" }] }]);
  for (const [workdir, why] of [["missing", /--workdir .*missing: no such directory/], ["plan.json", /--workdir .*plan\.json: not a directory/]] as const) {
    const refused = await runOrun(["run", "plan.json", "--workdir", workdir], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, why);
  }
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false, "no execution recorded");
  const ok = await runOrun(["run", "plan.json", "--workdir", "."], { cwd: dir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

test("a legacy .orun-state.json that cannot be read (a directory) is named in the error, and nothing is migrated or run", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo a > ran" }] }]);
  await mkdir(path.join(dir, ".orun-state.json"));
  const refused = await runOrun(["run", "plan.json"], { cwd: dir });
  const said = refused.stdout + refused.stderr;
  assert.equal(refused.code, 1, said);
  assert.match(refused.stderr, /\.orun-state\.json: cannot read the legacy state file to migrate it: it is a directory/, said);
  assert.equal(existsSync(path.join(dir, "ran")), false, said);
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false);
});

test("the resume hint works after a plan-file run: orun run --exec-id X resumes the plan the execution recorded", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "echo a >> runs" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "test -f ok && echo b >> runs" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "hint"], { cwd: dir });
  assert.equal(first.code, 1);
  assert.match(first.stdout, /resume {2}orun run --exec-id hint/);
  await writeFile(path.join(dir, "ok"), "");
  const resumed = await runOrun(["run", "--exec-id", "hint"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(await readFile(path.join(dir, "runs"), "utf8"), "a\nb\n", "a ran once, b on the resume");
  const viaEnv = await runOrun(["run"], { cwd: dir, env: { ORUN_EXEC_ID: "hint" } });
  assert.equal(viaEnv.code, 0, viaEnv.stdout + viaEnv.stderr);
  assert.match(viaEnv.stdout, /2 already completed/);

  // Another plan on that execution is refused with the command that resumes it.
  await writePlan(dir, makePlan([{ id: "c@dev.three", steps: [{ run: "true" }] }]), "other.json");
  const other = await runOrun(["run", "other.json", "--exec-id", "hint"], { cwd: dir });
  assert.equal(other.code, 1);
  assert.match(other.stderr, /resume it with the plan it was started with \(orun run \/\S*\/\.orun\/executions\/hint\/manifest\.json --exec-id hint\)/);
  const byManifest = await runOrun(["run", ".orun/executions/hint/manifest.json", "--exec-id", "hint"], { cwd: dir });
  assert.equal(byManifest.code, 0, byManifest.stdout + byManifest.stderr);
});
