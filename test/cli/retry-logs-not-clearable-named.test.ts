// `orun run --job X --retry` clears X's earlier logs before it runs X again. A log folder orun may not clear (made by
// another user: an earlier `sudo orun run`) failed the run with Node's bare "EACCES: permission denied, unlink
// '…/run.log'", recorded as the run's error too. Now the folder is named with the reason. As root, orun runs as
// `nobody` on a record it owns but for that folder (root's); otherwise the folder is made read-only.
// The logs are cleared before the job's state is reset: the refused retry had already erased X's recorded
// result (state.json said nothing of X, status "not run") although nothing ran.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, chown, readFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { NOBODY, asRoot, chownTree, orunAsUser } from "../support/as-user.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("a retried job whose earlier logs cannot be cleared is refused naming its log folder and the reason", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }], { name: "perm" }, "orun-retry-logs-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r1"], { cwd: dir })).code, 0);
  const jobLogs = recordFile(dir, "r1", "logs/api@dev.build");
  if (asRoot) {
    await chmod(dir, 0o755);
    await chownTree(dir, NOBODY);
    await chown(jobLogs, 0, 0);
  } else {
    await chmod(jobLogs, 0o555);
  }
  const stateFile = recordFile(dir, "r1", "state.json");
  const stateBefore = await readFile(stateFile, "utf8");
  assert.equal((JSON.parse(stateBefore) as { jobs: Record<string, { status: string }> }).jobs["api@dev.build"]?.status, "completed");
  try {
    const retry = await orunAsUser(["run", "plan.json", "--exec-id", "r1", "--job", "api@dev.build", "--retry"], dir);
    assert.equal(retry.code, 1, retry.stdout);
    assert.equal(
      retry.stderr,
      `✕ ${jobLogs}: cannot clear the logs of api@dev.build's earlier run: permission denied (make .orun/ writable for you: was it made by another user, such as sudo or a container?)\n`,
    );
    assert.equal(await readFile(stateFile, "utf8"), stateBefore, "the job's recorded result is kept");
    const status = await orunAsUser(["status", "--exec-id", "r1"], dir);
    assert.match(status.stdout, /State: completed/, status.stdout);
    assert.doesNotMatch(status.stdout, /not run/, status.stdout);
    assert.match((await orunAsUser(["logs", "--exec-id", "r1"], dir)).stdout, /built/, "the earlier logs are still there");
  } finally {
    // Before the temp folder is removed: read-only, its log could not be.
    await chmod(jobLogs, 0o755);
  }
});
