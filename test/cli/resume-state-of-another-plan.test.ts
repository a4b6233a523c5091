// A record whose state.json was replaced by another execution's (of another plan): every run writes the plan's
// checksum to both state.json and metadata.json, so they disagree. Resumed with the other plan, the record passed
// for that plan's ("2 already completed", nothing run, the record taken over); resumed with its own manifest.json,
// as the refusal advised, it was refused again in a loop. Now each is refused naming the state file, record untouched;
// status warns of it, and status --all marks it in the list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";
import { makePlan, recordFile, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("a state.json of another plan than its record's metadata is refused by every resume and dry-run, the record left as it was", async (t) => {
  const dir = await tempDir("orun-foreign-state-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.j", steps: [{ run: "true" }] }, { id: "b@dev.j", steps: [{ run: "true" }] }], { name: "mine" }), "mine.json");
  await writePlan(dir, makePlan([{ id: "a@dev.j", steps: [{ run: "true" }] }, { id: "c@dev.j", steps: [{ run: "true" }] }], { name: "other" }), "other.json");
  assert.equal((await runOrun(["run", "mine.json", "--exec-id", "X", "--job", "a@dev.j"], { cwd: dir })).code, 0);
  assert.equal((await runOrun(["run", "other.json", "--exec-id", "Y"], { cwd: dir })).code, 0);
  const state = recordFile(dir, "X", "state.json");
  await copyFile(recordFile(dir, "Y", "state.json"), state);
  const before = await recordContent(dir, "X");
  for (const args of [["other.json"], ["mine.json"], [recordFile(dir, "X", "manifest.json")], ["other.json", "--dry-run"]]) {
    const result = await runOrun(["run", ...args, "--exec-id", "X"], { cwd: dir });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
    assert.ok(result.stderr.startsWith(`✕ ${state} (planChecksum): execution X's state.json belongs to plan `), result.stderr);
    assert.match(result.stderr, /not to the plan its record ran \([0-9a-f]{12}, metadata\.json\): the file was replaced or copied from another execution/);
  }
  assert.deepEqual(await recordContent(dir, "X"), before, "the record is left as it was");

  // status said nothing of it: it warns, naming the file as the refusal does, and --json carries it (as its schema says).
  const status = await runOrun(["status", "--exec-id", "X"], { cwd: dir });
  assert.match(status.stdout, /! its state\.json \((.+)\) belongs to plan ([0-9a-f]{12}), not to the plan its record ran \(([0-9a-f]{12}), metadata\.json\): the file was replaced or copied from another execution, and a resume refuses it/);
  assert.ok(status.stdout.includes(`its state.json (${state})`), status.stdout);
  // Its headline counted the other plan's jobs as this run's (a@dev.j completed, "1 not run") and listed them: it
  // counts and lists none of them now, nor names c@dev.j apart as a job the plan lacks (the line above says why).
  const lines = status.stdout.split("\n");
  assert.ok(lines.includes("  Jobs: not known, its state.json is another plan's (see below)  (2 in plan)"), status.stdout);
  assert.doesNotMatch(status.stdout, /Progress:|completed|not run|holds a job|a {2}· {2}dev/, status.stdout);
  const json = await runOrun(["status", "--exec-id", "X", "--json"], { cwd: dir });
  const shown = JSON.parse(json.stdout) as { stateOfOtherPlan?: { file: string; planChecksum: string; recordPlanChecksum: string }; meta: { planChecksum: string }; state: { planChecksum: string } };
  assert.deepEqual(shown.stateOfOtherPlan, { file: state, planChecksum: shown.state.planChecksum, recordPlanChecksum: shown.meta.planChecksum });
  assert.notEqual(shown.state.planChecksum, shown.meta.planChecksum);
  const { Ajv } = await import("ajv");
  const schema = JSON.parse(await readFile(path.join(PROJECT_ROOT, "schemas/output/status.schema.json"), "utf8")) as object;
  const validate = new Ajv({ strict: false }).compile(schema);
  assert.ok(validate(shown), JSON.stringify(validate.errors));
  // A record whose files agree gets no such warning.
  assert.doesNotMatch((await runOrun(["status", "--exec-id", "Y"], { cwd: dir })).stdout, /belongs to plan/);

  // The list marks it too (it showed X with the other plan's counts): its result, and why on a line below it.
  const list = (await runOrun(["status", "--all"], { cwd: dir, env: { NO_COLOR: "1" } })).stdout.split("\n");
  const row = list.findIndex((line) => /^\S X +/.test(line));
  assert.match(list[row]!, /^\? X +incomplete +mine +state\.json of another plan +/, list.join("\n"));
  const [theirs, ours] = [shown.state.planChecksum, shown.meta.planChecksum].map((checksum) => checksum.replace(/^sha256-/, "").slice(0, 12));
  assert.equal(list[row + 1], `    ! its state.json belongs to plan ${theirs}, not to its run's ${ours}: a resume refuses it (orun status --exec-id X)`);
  assert.match(list.find((line) => /^\S Y +/.test(line))!, /^✓ Y +completed +other +2 succeeded · 0 failed/);
  assert.equal(list.filter((line) => line.includes("belongs to plan")).length, 1, list.join("\n"));
});

async function recordContent(dir: string, execId: string): Promise<Record<string, string>> {
  const files = ["manifest.json", "metadata.json", "state.json"];
  const names = await readdir(path.dirname(recordFile(dir, execId, "x")));
  return Object.fromEntries(await Promise.all(files.filter((f) => names.includes(f)).map(async (f) => [f, await readFile(recordFile(dir, execId, f), "utf8")] as const)));
}
