// `orun run --job X` refused because X's dependencies have not completed suggests one command that runs every
// missing dependency, theirs too, in order. It suggested the first direct dependency alone, which pasted was refused
// in turn for that one's own dependency (rev24 finding 6). Real processes; the hint is pasted through `sh -c`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { inShell, jobStatuses } from "../support/resume-hint.js";
import { planDir } from "../runtime/helpers.js";

const env = { NO_COLOR: "1", ORUN_EXEC_ID: "" };
const JOBS = [
  { id: "app@dev.build", steps: [{ id: "main", run: "touch built" }] },
  { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  { id: "app@prod.smoke", dependsOn: ["app@prod.deploy"], steps: [{ id: "main", run: "touch smoked" }] },
];

/** The command the refusal of `--job app@prod.smoke` suggests, and the note before it. */
function suggestion(stderr: string): { note: string | undefined; command: string | undefined } {
  const match = /dependencies not completed \(app@prod\.deploy\) \(run them first, in order(?: \(([^)]*)\))?: (orun run .*)\)$/m.exec(stderr);
  return { note: match?.[1], command: match?.[2] };
}

test("a --job refusal suggests every missing dependency in order; pasted with --approve they run, and the job then runs", async (t) => {
  const dir = await planDir(t, JOBS, { name: "chain" }, "orun-job-deps-");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "A", "--job", "app@prod.smoke", "--approve"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stdout);
  const { note, command } = suggestion(refused.stderr);
  const plan = path.join(dir, "plan.json");
  assert.equal(note, undefined, "this run was given --approve: no note");
  assert.equal(command, `orun run ${plan} --exec-id A --approve --job app@dev.build && orun run ${plan} --exec-id A --approve --job app@prod.deploy`, refused.stderr);
  const pasted = await inShell(t, command!, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.deepEqual((await jobStatuses(dir, "A")).sort(), ["app@dev.build completed", "app@prod.deploy completed"]);
  const smoke = await runOrun(["run", "plan.json", "--exec-id", "A", "--job", "app@prod.smoke"], { cwd: dir, env });
  assert.equal(smoke.code, 0, smoke.stderr);
  assert.ok(existsSync(path.join(dir, "smoked")));
});

test("without --approve the suggestion says which dependency needs it and never approves it; pasted, it stops there", async (t) => {
  const dir = await planDir(t, JOBS, { name: "chain" }, "orun-job-deps-");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "B", "--job", "app@prod.smoke"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stdout);
  const { note, command } = suggestion(refused.stderr);
  assert.equal(note, "app@prod.deploy requires approval: add --approve to approve it", refused.stderr);
  assert.doesNotMatch(command ?? "", /--approve/);
  const pasted = await inShell(t, command!, dir);
  assert.equal(pasted.code, 1, pasted.output);
  assert.match(pasted.output, /⊘ deploy {2}blocked · policy requireApproval/);
  assert.ok(existsSync(path.join(dir, "built")), pasted.output);
  assert.ok(!existsSync(path.join(dir, "deployed")), pasted.output);
});

// With no --exec-id the run's ID is generated and its record removed on refusal: the suggestion named that ID for the
// dependency alone, so the reader had no command for the job asked for under it (doc30).
test("a --job refusal without --exec-id suggests the dependency and then this job in one new execution; pasted, both run in it", async (t) => {
  const dir = await planDir(t, JOBS.slice(0, 2).map((job) => ({ ...job, policies: undefined })), { name: "chain" }, "orun-job-deps-");
  const refused = await runOrun(["run", "plan.json", "--job", "app@prod.deploy"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stdout);
  const match = /\(run it first, then this job, in a new execution: (orun run .*)\)$/m.exec(refused.stderr);
  assert.ok(match, refused.stderr);
  const id = /--exec-id (\S+)/.exec(match[1]!)?.[1];
  const plan = path.join(dir, "plan.json");
  assert.equal(match[1], `orun run ${plan} --exec-id ${id} --job app@dev.build && orun run ${plan} --exec-id ${id} --job app@prod.deploy`);
  assert.equal(existsSync(path.join(dir, ".orun/executions", id!)), false, "the refused run left no record");
  const pasted = await inShell(t, match[1]!, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.deepEqual((await jobStatuses(dir, id!)).sort(), ["app@dev.build completed", "app@prod.deploy completed"]);
});
