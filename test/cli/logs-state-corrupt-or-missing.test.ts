// `orun logs` on a record whose state.json is corrupt or missing: a corrupt one is refused as `orun status`
// refuses it (file named, remedy, exit 1); without one the logs are shown, but no step is called completed
// (it had labelled a step a SIGKILL stopped mid-run `(completed)`). Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const JOBS = [{ id: "app@dev.build", steps: [{ run: "echo built" }] }];

test("logs refuses a corrupt state.json as status does (file named, remedy, exit 1)", async (t) => {
  const dir = await planDir(t, JOBS, { name: "torn" }, "orun-logs-state-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "T"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "T", "state.json");
  await writeFile(file, (await readFile(file, "utf8")).slice(0, 40));
  const status = await runOrun(["status", "--exec-id", "T"], { cwd: dir });
  assert.equal(status.code, 1);
  for (const args of [["logs", "--exec-id", "T"], ["logs", "--exec-id", "T", "--job", "build"], ["logs", "--exec-id", "T", "--follow"]]) {
    const logs = await runOrun(args, { cwd: dir });
    assert.equal(logs.code, 1, `${args.join(" ")}: ${logs.stdout}`);
    assert.doesNotMatch(logs.stdout, /completed/, args.join(" "));
    assert.ok(logs.stderr.includes(file), `${args.join(" ")}: ${logs.stderr}`);
    assert.match(logs.stderr, /corrupt execution state .*fix or delete the file, or start a new run with another --exec-id/, args.join(" "));
  }
});

test("logs of a record without state.json shows the logs but calls no step completed", async (t) => {
  const dir = await planDir(t, JOBS, { name: "nostate" }, "orun-logs-state-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "M"], { cwd: dir })).code, 0);
  await rm(recordFile(dir, "M", "state.json"));
  await rm(recordFile(dir, "M", "journal.jsonl"), { force: true });
  const logs = await runOrun(["logs", "--exec-id", "M"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /── app@dev\.build › \S+ {2}\(status not recorded\)\nbuilt\n/);
  assert.doesNotMatch(logs.stdout, /completed/);
});
