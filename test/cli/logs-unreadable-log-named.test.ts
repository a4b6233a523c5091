// A step's log replaced by a FIFO, a folder or a symbolic link is never read by `orun logs` (a FIFO would hang it, a
// link print any file), but it was passed over in silence: the step vanished from `orun logs`, and `--job` called
// it `completed, no output`, though it printed. Each view now says the log is not shown, naming the file and what
// is in its place (--raw on stderr). Real orun processes on real records in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("orun logs (--job, --raw, --follow) names a step's log that is a FIFO, a folder or a link instead of calling it no output", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "logs" }, "orun-logs-unreadable-");
  const secret = path.join(dir, "secret.txt");
  await writeFile(secret, "SECRET\n");
  const kinds: [string, (file: string) => Promise<void>, string][] = [
    ["fifo", async (file) => void execFileSync("mkfifo", [file]), "not a regular file (a FIFO, socket or device)"],
    ["folder", async (file) => void (await mkdir(file)), "a directory"],
    ["link", (file) => symlink(secret, file), "a symbolic link"],
  ];
  for (const [id, plant, what] of kinds) {
    assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
    const jobLogs = recordFile(dir, id, "logs/app@dev.build");
    const [logName] = await readdir(jobLogs);
    assert.ok(logName?.endsWith(".log"), `the step's log: ${logName}`);
    const log = path.join(jobLogs, logName);
    await rm(log);
    await plant(log);
    const step = logName.slice(0, -4);
    const note = `completed, log not shown: ${log} is ${what}`;
    for (const args of [["logs", "--exec-id", id], ["logs", "--exec-id", id, "--job", "app@dev.build"], ["logs", "--exec-id", id, "--follow"]]) {
      const logs = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
      assert.equal(logs.code, 0, `${args.join(" ")}: ${logs.stderr}`);
      assert.equal(logs.stdout, `── app@dev.build › ${step}  (${note})\n`, args.join(" "));
      assert.doesNotMatch(logs.stdout + logs.stderr, /SECRET/);
    }
    const raw = await runOrun(["logs", "--exec-id", id, "--job", "app@dev.build", "--raw"], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, "", "--raw prints the logs' bytes only");
    assert.equal(raw.stderr, `app@dev.build › ${step}: ${note}\n`);
  }
});

test("orun logs names a job's log folder replaced by a file or a link instead of passing the job over", async (t) => {
  // Only folders were read as jobs' logs: a file or a link in one's place made the job vanish from `orun logs`, and
  // `--job` said "No logs match (…: completed)", as for a job that printed nothing.
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "logs" }, "orun-logs-unreadable-job-");
  const secret = path.join(dir, "secret");
  await mkdir(secret);
  await writeFile(path.join(secret, "build.log"), "SECRET\n");
  const kinds: [string, (folder: string) => Promise<void>, string][] = [
    ["file", (folder) => writeFile(folder, "x\n"), "a file"],
    ["link", (folder) => symlink(secret, folder), "a symbolic link"],
  ];
  for (const [id, plant, what] of kinds) {
    assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
    const jobLogs = recordFile(dir, id, "logs/app@dev.build");
    await rm(jobLogs, { recursive: true });
    await plant(jobLogs);
    const note = `completed, logs not shown: ${jobLogs} is ${what}, not a folder`;
    for (const args of [["logs", "--exec-id", id], ["logs", "--exec-id", id, "--job", "app@dev.build"]]) {
      const logs = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
      assert.equal(logs.code, 0, `${args.join(" ")}: ${logs.stderr}`);
      assert.equal(logs.stdout, `── app@dev.build › logs  (${note})\n`, args.join(" "));
      assert.doesNotMatch(logs.stdout + logs.stderr, /SECRET/);
    }
  }
});
