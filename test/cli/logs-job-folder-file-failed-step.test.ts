// A failed step of a job whose log folder is a file (never read, named `<job> › logs  (failed, logs not shown: …)`)
// is listed `(failed, log not shown)` with its error, not `(failed, no output)`: it may have printed, and its log
// was not looked for (rev29c #5). Real processes, temp dirs.
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
    assert.match(logs.stdout, /app@dev\.build › \S+ {2}\(failed, log not shown\)/, `${args.join(" ")}: ${logs.stdout}`);
  }
});
