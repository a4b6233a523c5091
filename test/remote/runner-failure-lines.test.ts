// What a remote runner says about the failures it met, read as a user: the summary's `again` line retries every job
// that failed on it (not only the first), and works pasted through `sh -c`; a blocked job's line says its dependents
// are skipped only when it has some, and names them; a job given to a runner after it already failed says it was not
// run, with its error worded as a local run words it (`command exited with code 3`, not the recorded `exit status 3`),
// and how to retry it. Real processes: `orun backend serve` on loopback (SQLite), `orun run` runners.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";
import { orunOnPath, runPrinted } from "./retry-bed.js";

describe("a remote runner's lines about failed and blocked jobs", () => {
  let dir: string;
  let bin: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-failure-lines-"));
    bin = await orunOnPath(dir);
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("retry every failed job, say dependents only when there are some, and word an earlier failure as a local run does", async () => {
    const fixed = path.join(dir, "fixed");
    const planFile = await writePlan(dir, "lines", [
      { id: "a@dev.x", run: `test -f ${fixed} || exit 3` },
      { id: "b@dev.y", run: `test -f ${fixed} || exit 4` },
      { id: "c@dev.lone", run: "true" },
      { id: "g@dev.gated", run: "true" },
      { id: "h@dev.after", deps: ["g@dev.gated"], run: "true" },
    ]);
    // c and g require approval: run without --approve, this runner holds and blocks them.
    const plan = JSON.parse(await fs.readFile(planFile, "utf8")) as { jobs: { id: string; policies?: Record<string, string> }[] };
    for (const job of plan.jobs) if (job.id === "c@dev.lone" || job.id === "g@dev.gated") job.policies = { requireApproval: "true" };
    await fs.writeFile(planFile, JSON.stringify(plan, null, 2));
    const runId = "lines-1";
    const env = { ...served.env(), ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId };
    const retryOf = (job: string): string => `orun run ${planFile} --backend-url ${served.backend.url} --job ${job} --exec-id ${runId} --remote-state --retry`;

    const first = await spawnOrun(["run", "lines.json"], { cwd: dir, env }).done;
    assert.equal(first.code, 1, first.output);
    const again = `${retryOf("a@dev.x")} && ${retryOf("b@dev.y")}`;
    assert.ok(first.output.includes(`  again   retry a@dev.x, b@dev.y in this run if they failed: ${again}\n`), first.output);
    assert.ok(first.output.includes(`! job c@dev.lone is recorded as failed in remote run ${runId} (blocked); once it may run, retry it in this run: ${retryOf("c@dev.lone")}\n`), first.output);
    assert.ok(first.output.includes(`! job g@dev.gated is recorded as failed in remote run ${runId} (blocked), so its dependents (h@dev.after) are skipped; once it may run`), first.output);

    // a again, without --retry: not run, its error as a local run words it, and the way to retry it.
    const refused = await spawnOrun(["run", "lines.json", "--job", "a@dev.x"], { cwd: dir, env }).done;
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, new RegExp(`✕ job a@dev\\.x not run: it already failed in remote run ${runId} \\(on runner [^)]+\\): step main: command exited with code 3; once fixed, retry it in this run: ${retryOf("a@dev.x").replace(/[.]/g, "\\.")}\n`));
    assert.match(refused.output, /○ \S+ {2}skipped · already failed in remote run lines-1 \(on runner [^)]+\): step main: command exited with code 3\n/);
    assert.doesNotMatch(refused.output, /exit status 3/);

    // The again line, pasted as printed once both are fixed: both jobs are retried, and succeed.
    await fs.writeFile(fixed, "");
    const retried = await runPrinted(again, dir, served.env(), bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /↻ retrying job a@dev\.x, which failed in remote run lines-1/);
    assert.match(retried.output, /↻ retrying job b@dev\.y, which failed in remote run lines-1/);
  });
});
