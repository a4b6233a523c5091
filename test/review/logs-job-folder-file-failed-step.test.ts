// rev29c — 12647a4: a job's log folder replaced by a file is named (`<job> › logs  (failed, logs not shown: …)`) and
// "steps whose logs could not be looked for are not called `no output`" — but a failed step of that job still is:
// `orun logs --failed` (and the whole run's logs) list `<job> › build  (failed, no output)` under the note, for a step
// that printed. Its logs were not looked for: its error is what can be said, not that it printed nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("a failed step of a job whose log folder is a file is not called no output", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo printed; exit 4" }] }], { name: "logs" }, "orun-rev29c-logs-file-failed-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "f1"], { cwd: dir })).code, 1);
  const jobLogs = recordFile(dir, "f1", "logs/app@dev.build");
  await rm(jobLogs, { recursive: true });
  await writeFile(jobLogs, "x\n");
  for (const args of [["logs", "--exec-id", "f1"], ["logs", "--exec-id", "f1", "--failed"], ["logs", "--exec-id", "f1", "--job", "app@dev.build"]]) {
    const logs = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
    assert.match(logs.stdout, /app@dev\.build › logs {2}\(failed, logs not shown: .* is a file, not a folder\)/, `${args.join(" ")}: ${logs.stdout}`);
    assert.match(logs.stdout, /exited with code 4/, `${args.join(" ")}: the step's error is still said: ${logs.stdout}`);
    assert.doesNotMatch(logs.stdout, /no output/, `${args.join(" ")}: the step printed; its log was not looked for: ${logs.stdout}`);
  }
});
