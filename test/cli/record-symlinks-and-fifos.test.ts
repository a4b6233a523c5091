// Records audit (round 2): symbolic links inside .orun that point outside the record (a record copied
// from elsewhere, or planted in a checkout) are neither read by `orun logs` nor written through by a run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("orun logs and logs --follow skip log files and job folders that are symbolic links", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "links" }, "orun-rec14-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "L"], { cwd: dir })).code, 0);
  const secret = path.join(dir, "secret.log");
  await writeFile(secret, "TOP SECRET\n");
  await mkdir(path.join(dir, "elsewhere"));
  await writeFile(path.join(dir, "elsewhere", "s1.log"), "ALSO SECRET\n");
  await symlink(secret, recordFile(dir, "L", "logs/app@dev.build/stolen.log"));
  await symlink(path.join(dir, "elsewhere"), recordFile(dir, "L", "logs/evil@dev.job"));
  for (const args of [["logs", "--exec-id", "L"], ["logs", "--exec-id", "L", "--follow"], ["logs", "--exec-id", "L", "--job", "evil"]]) {
    const logs = await runOrun(args, { cwd: dir, timeoutMs: 10_000 });
    // The planted folder is no job of the run's plan: --job naming it is an error (was "No logs match.", exit 0).
    const planted = args.includes("evil");
    assert.equal(logs.code, planted ? 1 : 0, logs.stderr);
    if (planted) assert.match(logs.stderr, /job not found in execution L: evil/);
    assert.doesNotMatch(logs.stdout + logs.stderr, /SECRET/, args.join(" "));
  }
  assert.match((await runOrun(["logs", "--exec-id", "L"], { cwd: dir })).stdout, /built/);
});

test("orun logs refuses a record whose logs folder is a symbolic link or a file, naming it, and prints nothing from where a link leads", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "links" }, "orun-mut30-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "D"], { cwd: dir })).code, 0);
  const logsDir = recordFile(dir, "D", "logs");
  // Another run's logs, laid out as this record's would be: followed, they would pass for this run's.
  await mkdir(path.join(dir, "elsewhere", "app@dev.build"), { recursive: true });
  await writeFile(path.join(dir, "elsewhere", "app@dev.build", "s1.log"), "NOT THIS RUN\n");
  await rm(logsDir, { recursive: true });
  await symlink(path.join(dir, "elsewhere"), logsDir);
  const linked = await runOrun(["logs", "--exec-id", "D"], { cwd: dir });
  assert.equal(linked.code, 1, linked.stdout);
  assert.match(linked.stderr, /logs: cannot read the step logs: it is a symbolic link, not the record's logs folder/);
  assert.doesNotMatch(linked.stdout + linked.stderr, /NOT THIS RUN/);
  await rm(logsDir);
  await writeFile(logsDir, "");
  const file = await runOrun(["logs", "--exec-id", "D"], { cwd: dir });
  assert.equal(file.code, 1, file.stdout);
  assert.match(file.stderr, /logs: cannot read the step logs: it is not a folder, not the record's logs folder/);
});

test("a run never writes a step's output through a symbolic link in its log's place", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo overwritten" }] }], { name: "links" }, "orun-rec14-");
  const precious = path.join(dir, "precious.txt");
  await writeFile(precious, "keep me\n");
  // A record folder prepared before the run (no metadata yet), with a link where the step's log goes.
  await mkdir(recordFile(dir, "W", "logs/app@dev.build"), { recursive: true });
  await symlink(precious, recordFile(dir, "W", "logs/app@dev.build/s1.log"));
  const run = await runOrun(["run", "plan.json", "--exec-id", "W"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(precious, "utf8"), "keep me\n");
});

test("--background never appends its output through a symbolic link in run.log's place", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "links" }, "orun-rec14-");
  const precious = path.join(dir, "precious.txt");
  await writeFile(precious, "keep me\n");
  await mkdir(recordFile(dir, "B", "logs"), { recursive: true });
  await symlink(precious, recordFile(dir, "B", "run.log"));
  const run = await runOrun(["run", "plan.json", "--background", "--exec-id", "B"], { cwd: dir });
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, /run\.log/);
  assert.equal(await readFile(precious, "utf8"), "keep me\n");
});

test("a FIFO or a link where journal.jsonl, state.json or metadata.json belongs is named, never read or waited on", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "links" }, "orun-rec14-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "F"], { cwd: dir })).code, 0);
  const mkfifo = (file: string): void => void execFileSync("mkfifo", [file]);
  const cases: [string, () => Promise<void>, RegExp][] = [
    ["journal.jsonl", async () => mkfifo(recordFile(dir, "F", "journal.jsonl")), /journal\.jsonl: cannot read the execution journal: it is not a regular file/],
    ["journal.jsonl", () => symlink("/etc/passwd", recordFile(dir, "F", "journal.jsonl")), /journal\.jsonl: cannot read the execution journal: it is a symbolic link/],
    ["state.json", async () => (await rename(recordFile(dir, "F", "state.json"), recordFile(dir, "F", "state.saved")), mkfifo(recordFile(dir, "F", "state.json"))), /state\.json: cannot read execution state: it is not a regular file/],
    ["metadata.json", async () => (await rename(recordFile(dir, "F", "metadata.json"), recordFile(dir, "F", "metadata.saved")), mkfifo(recordFile(dir, "F", "metadata.json"))), /metadata\.json: cannot read execution metadata: it is not a regular file/],
  ];
  for (const [name, plant, message] of cases) {
    await plant();
    for (const args of [["status", "--exec-id", "F"], ["run", "plan.json", "--exec-id", "F"]]) {
      const r = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
      assert.equal(r.code, 1, `${args[0]} with ${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, `${args[0]} with ${name}`);
    }
    await rm(recordFile(dir, "F", name));
    for (const saved of ["state", "metadata"]) await rename(recordFile(dir, "F", `${saved}.saved`), recordFile(dir, "F", `${saved}.json`)).catch(() => undefined);
  }
});
