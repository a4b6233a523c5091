// A runner's own record of its part of a remote run (`Local record: R.<hex>`) whose metadata.json is torn or missing
// cannot show it was a remote part. A resume off remote state (`orun run --exec-id R.<hex>`) ran the whole plan on
// this machine, outside the remote run, and rewrote metadata.json without remoteRunId (rev24 finding 1). It is
// refused, naming the file and the remedies, with nothing run or written; renamed as the hint says, it resumes.
// Real processes: `orun backend serve` on loopback (SQLite) and `orun run --remote-state` runners.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { inShell } from "../support/resume-hint.js";
import { runOrun } from "../support/cli.js";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";

describe("resuming a remote runner's record without readable metadata", () => {
  let dir: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-runner-record-"));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("is refused, naming metadata.json, whether it is torn or missing; renamed as told, it resumes locally", async (t) => {
    // This runner's part is build; deploy (its marker file) is another runner's.
    await writePlan(dir, "part", [
      { id: "app@dev.build", run: "echo built" },
      { id: "app@dev.deploy", run: `touch ${JSON.stringify(path.join(dir, "deployed"))}` },
    ]);
    const joined = await spawnOrun(["run", "part.json", "--job", "app@dev.build"], { cwd: dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "part-run" }) }).done;
    assert.equal(joined.code, 0, joined.output);
    const record = /Local record: (\S+)/.exec(joined.output)?.[1] ?? "";
    assert.ok(record.startsWith("part-run."), joined.output);
    const metadata = path.join(dir, ".orun/executions", record, "metadata.json");
    const local = { ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", NO_COLOR: "1" };

    let hint = "";
    for (const [damage, said] of [
      [() => fs.writeFile(metadata, "garbage"), "is not valid JSON"],
      [() => fs.rm(metadata), "is missing"],
    ] as const) {
      await damage();
      const resume = await runOrun(["run", "part.json", "--exec-id", record], { cwd: dir, env: local });
      assert.equal(resume.code, 1, resume.stdout + resume.stderr);
      assert.ok(resume.stderr.includes(`✕ ${metadata}: cannot resume ${record} here: its metadata.json ${said}`), resume.stderr);
      assert.match(resume.stderr, /rejoin the remote run instead: orun run <plan> --remote-state --backend-url <url> --exec-id part-run;/);
      assert.equal(existsSync(path.join(dir, "deployed")), false, "no job of another runner ran here");
      assert.equal(existsSync(metadata) ? await fs.readFile(metadata, "utf8") : undefined, said === "is missing" ? undefined : "garbage", "metadata.json is left as it was");
      hint = /if this record was a local run, rename it to resume it: (mv .*)\)\n/.exec(resume.stderr)?.[1] ?? "";
    }
    // The rename the hint gives, pasted: the record is a local run's now, and resumes (deploy runs here).
    assert.ok(hint, "the refusal names a rename");
    const renamed = await inShell(t, hint, dir);
    assert.equal(renamed.code, 0, renamed.output);
    assert.match(renamed.output, /already completed/);
    assert.equal(existsSync(path.join(dir, "deployed")), true, renamed.output);
  });
});

describe("resuming a remote runner's record off remote state, its metadata intact", () => {
  let dir: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-runner-record-intact-"));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("is refused, naming the remote run and the runner's own command in it: no other runner's job runs here", async () => {
    await writePlan(dir, "part", [
      { id: "app@dev.build", run: "echo built" },
      { id: "app@dev.deploy", run: `touch ${JSON.stringify(path.join(dir, "deployed"))}` },
    ]);
    const joined = await spawnOrun(["run", "part.json", "--job", "app@dev.build"], { cwd: dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "intact-run" }) }).done;
    assert.equal(joined.code, 0, joined.output);
    const record = /Local record: (\S+)/.exec(joined.output)?.[1] ?? "";
    assert.ok(record.startsWith("intact-run."), joined.output);
    const metadata = path.join(dir, ".orun/executions", record, "metadata.json");
    const before = await fs.readFile(metadata, "utf8");
    const local = { ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", NO_COLOR: "1" };
    const resume = await runOrun(["run", "part.json", "--exec-id", record], { cwd: dir, env: local });
    assert.equal(resume.code, 1, resume.stdout + resume.stderr);
    assert.match(resume.stderr, new RegExp(`cannot resume ${record.replace(".", "\\.")} here: it is this machine's part of remote run intact-run`));
    assert.match(resume.stderr, /rejoin it: orun run \S*\/part\.json --backend-url \S+ --job app@dev\.build --exec-id intact-run --remote-state;/);
    assert.equal(existsSync(path.join(dir, "deployed")), false, "no job of another runner ran here");
    assert.equal(await fs.readFile(metadata, "utf8"), before, "metadata.json is left as it was");
  });
});
