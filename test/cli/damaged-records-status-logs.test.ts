// Records audit (round 2): status, logs and gc on damaged or unusual records through the built CLI —
// metadata of the wrong shape, a record without metadata (a migrated legacy state file), a record removed
// while it is watched. Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { liveSleeper, until } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

const JOBS = [
  { id: "app@dev.build", steps: [{ run: "echo built" }] },
  { id: "app@dev.deploy", dependsOn: ["app@dev.build"], steps: [{ run: "echo deployed" }] },
];

test("metadata.json of the wrong shape is named (file and field) by status, and status --all still lists every other record", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-rec14-");
  for (const id of ["good", "bad"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  for (const [content, field] of [
    ['{"execId":"bad","planName":5,"status":"completed"}', "planName"],
    ['{"execId":"bad","status":"running","links":5}', "links"],
    ['{"execId":"bad","status":"completed","jobTotal":"x"}', "jobTotal"],
    ["null", "(root)"],
    ["[1]", "(root)"],
  ] as const) {
    await writeFile(recordFile(dir, "bad", "metadata.json"), content);
    const status = await runOrun(["status", "--exec-id", "bad"], { cwd: dir });
    assert.equal(status.code, 1, status.stdout);
    assert.ok(status.stderr.includes(`metadata.json (${field}): corrupt execution metadata`), status.stderr);
    assert.doesNotMatch(status.stderr, /is not a function|is not iterable/);
    const all = await runOrun(["status", "--all"], { cwd: dir });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /bad\s+unreadable\s+.*metadata\.json unreadable/);
    assert.match(all.stdout, /good\s+completed/);
    const json = await runOrun(["status", "--all", "--json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { execID: string; error?: { message: string } }[];
    assert.match(rows.find((row) => row.execID === "bad")?.error?.message ?? "", /corrupt execution metadata/);
    // A resume refuses it too, before touching the record.
    const resume = await runOrun(["run", "plan.json", "--exec-id", "bad"], { cwd: dir });
    assert.equal(resume.code, 1);
    assert.match(resume.stderr, /corrupt execution metadata/);
  }
});

test("a resumeCommand that is not a string is named (file and field) by status, status --json and logs (a warning: it shows the record), not a TypeError", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-rec14-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "D1"], { cwd: dir })).code, 0);
  await rm(path.join(path.dirname(recordFile(dir, "D1", "x")), "logs"), { recursive: true, force: true });
  // "running" with no lock is an interrupted run, whose advice is the recorded command.
  for (const value of ["5", '{"x":1}', '["orun","run"]', "true"]) {
    await writeFile(recordFile(dir, "D1", "metadata.json"), `{"execId":"D1","status":"running","resumeCommand":${value}}`);
    for (const args of [["status", "--exec-id", "D1"], ["status", "--exec-id", "D1", "--json"], ["logs", "--exec-id", "D1"]]) {
      const out = await runOrun(args, { cwd: dir });
      // logs shows the record without it (its step logs do not depend on it), with the same words as a warning.
      assert.equal(out.code, args[0] === "logs" ? 0 : 1, `${args.join(" ")} (${value}): ${out.stdout}`);
      assert.ok(out.stderr.includes("metadata.json (resumeCommand): corrupt execution metadata: expected a string"), `${args.join(" ")} (${value}): ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /is not a function/);
    }
  }
});

test("resumeWords that are not recorded words are named (file and field) by status, status --json and logs", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-rec14-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "D2"], { cwd: dir })).code, 0);
  await rm(path.join(path.dirname(recordFile(dir, "D2", "x")), "logs"), { recursive: true, force: true });
  for (const value of ['"orun run"', '[{"path":"/x"}]', '[{"root":"a","env":"X;touch pwned"}]']) {
    await writeFile(recordFile(dir, "D2", "metadata.json"), `{"execId":"D2","status":"running","resumeCommand":"orun run --exec-id D2","resumeWords":${value}}`);
    for (const args of [["status", "--exec-id", "D2"], ["status", "--exec-id", "D2", "--json"], ["logs", "--exec-id", "D2"]]) {
      const out = await runOrun(args, { cwd: dir });
      assert.equal(out.code, args[0] === "logs" ? 0 : 1, `${args.join(" ")} (${value}): ${out.stdout}`);
      assert.ok(out.stderr.includes("metadata.json (resumeWords): corrupt execution metadata: expected an array of strings"), `${args.join(" ")} (${value}): ${out.stderr}`);
    }
  }
});

test("status --watch and logs --follow end on a record without metadata that no run holds (a migrated .orun-state.json)", async (t) => {
  const dir = await planDir(t, JOBS, { name: "legacy" }, "orun-rec14-");
  await writeFile(path.join(dir, ".orun-state.json"), JSON.stringify({ execId: "old", planChecksum: "", jobs: { "app.dev.build": { status: "completed", steps: {} } } }));
  const run = await runOrun(["run", "plan.json", "--exec-id", "now"], { cwd: dir });
  assert.match(run.stdout, /Migrated legacy \.orun-state\.json to \.orun\/executions\/(migrated-\S+)/);
  const migrated = /executions\/(migrated-\S+)/.exec(run.stdout)![1]!;
  const watch = await runOrun(["status", "--exec-id", migrated, "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(watch.code, 0, `--watch ended (${watch.code}): ${watch.stderr}`);
  assert.match(watch.stdout, /✓ build/);
  const follow = await runOrun(["logs", "--exec-id", migrated, "--follow"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(follow.code, 0, `logs --follow ended (${follow.code})`);
});

/** Starts the built CLI; resolves `seen(text)` once its stdout holds `text`, and `done` with its exit. */
function started(args: string[], cwd: string): { seen(text: string): Promise<void>; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { seen: (text) => until(() => stdout.includes(text), `"${text}" from orun ${args.join(" ")}`), done };
}

test("status --watch and logs --follow on a record removed meanwhile say so and end, instead of waiting for ever", async (t) => {
  const dir = await planDir(t, JOBS, { name: "gone" }, "orun-rec14-");
  // A run holds the record (its lock names a live process), so it is watched until it disappears.
  const sleeper = await liveSleeper(t);
  const exec = path.dirname(recordFile(dir, "held", "x"));
  await mkdir(path.join(exec, "logs/app@dev.build"), { recursive: true });
  await writeFile(path.join(exec, "logs/app@dev.build/s1.log"), "so far\n");
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid) }));
  const watch = started(["status", "--exec-id", "held", "--watch", "--interval", "200ms"], dir);
  const follow = started(["logs", "--exec-id", "held", "--follow"], dir);
  await Promise.all([watch.seen("Run: held"), follow.seen("so far")]);
  await rm(exec, { recursive: true, force: true });
  for (const { code, stderr } of await Promise.all([watch.done, follow.done])) {
    assert.equal(code, 1);
    assert.match(stderr, /execution held no longer exists/);
  }
});

test("a legacy .orun-state.json that cannot be migrated is named with what helps (fix it or move it aside), and nothing is run", async (t) => {
  const dir = await planDir(t, JOBS, { name: "legacy" }, "orun-rec14-");
  for (const content of ["", "{not json", '{"jobs":{"a":{"status":"weird"}}}']) {
    await writeFile(path.join(dir, ".orun-state.json"), content);
    const run = await runOrun(["run", "plan.json", "--exec-id", "fresh"], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    assert.ok(run.stderr.includes(path.join(dir, ".orun-state.json")), run.stderr);
    assert.doesNotMatch(run.stderr, /another --exec-id/, "another exec-id does not get round it");
    assert.match(run.stderr, /move it aside/);
    assert.doesNotMatch(run.stdout, /built|deployed/);
  }
});

test("logs --follow and status --watch end when the run they follow is SIGKILLed, and status then says interrupted", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.wait", steps: [{ run: "echo $$ > step.pid; echo waiting; exec sleep 30" }] }], { name: "killed" }, "orun-rec14-");
  t.after(async () => {
    const pid = Number(await readFile(path.join(dir, "step.pid"), "utf8").catch(() => "0"));
    if (pid > 0) process.kill(pid, "SIGKILL");
  });
  const run = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "K"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise((resolve) => run.once("exit", resolve));
  t.after(() => run.kill("SIGKILL"));
  await until(() => existsSync(path.join(dir, "step.pid")), "the step to start");
  const follow = started(["logs", "--exec-id", "K", "--follow"], dir);
  await follow.seen("waiting");
  const watch = started(["status", "--exec-id", "K", "--watch", "--interval", "200ms"], dir);
  await watch.seen("State: running");
  run.kill("SIGKILL");
  await exited;
  assert.equal((await follow.done).code, 1, "a run that did not finish is no success");
  assert.equal((await watch.done).code, 1, "a run that did not finish is no success");
  const status = await runOrun(["status", "--exec-id", "K"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
  assert.match(status.stdout, /resume with: orun run --exec-id K/);
});

test("status --watch --json waiting for a first run writes only JSON documents to stdout (the waiting note goes to stderr)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "first" }, "orun-rec14-");
  const child = spawn(process.execPath, [ORUN_BIN, "status", "--watch", "--json", "--interval", "200ms"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(() => stderr.includes("Waiting for a run"), "the waiting note");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 0);
  assert.equal(await closed, 0, stdout + stderr);
  const documents = stdout.split(/(?<=^\})\n/m).filter((text) => text.trim());
  assert.ok(documents.length >= 1, stdout);
  for (const text of documents) JSON.parse(text);
  assert.equal((JSON.parse(documents.at(-1)!) as { meta: { status: string } }).meta.status, "completed");
});

test("status --watch on a record folder a run has just made (no lock, metadata or state yet) waits for the run instead of ending", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "fresh" }, "orun-rec14-");
  await mkdir(recordFile(dir, "fresh", ""), { recursive: true });
  const watch = started(["status", "--exec-id", "fresh", "--watch", "--interval", "200ms"], dir);
  let ended = false;
  void watch.done.then(() => (ended = true));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(ended, false, "still waiting for the run");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "fresh"], { cwd: dir })).code, 0);
  assert.equal((await watch.done).code, 0);
});

test("status never prints control characters from a record (an escape sequence in a planted error, job ID, plan name or plan ID)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "exit 3" }] }], { name: "esc" }, "orun-rec14-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir })).code, 1);
  const file = recordFile(dir, "E", "state.json");
  const saved = JSON.parse(await readFile(file, "utf8")) as { jobs: Record<string, { lastError?: string }> };
  saved.jobs["app@dev.build"]!.lastError = "boom\u001b]0;pwned\u0007\u001b[2J\nsecond line";
  saved.jobs["app@dev.\u001b[31mred"] = { ...saved.jobs["app@dev.build"]!, lastError: "x" };
  await writeFile(file, JSON.stringify(saved));
  const meta = recordFile(dir, "E", "metadata.json");
  await writeFile(meta, (await readFile(meta, "utf8")).replace('"planName": "esc"', '"planName": "esc\\u001b[5m"'));
  // The Plan: line's ID was printed raw (the run ID beside it is escaped): an OSC title, a CSI, an 8-bit CSI.
  const planted = JSON.parse(await readFile(meta, "utf8")) as { planId: string };
  await writeFile(meta, JSON.stringify({ ...planted, planId: "ab\u001b]0;title\u0007\u001b[31mcd\u009b2J" }));
  for (const args of [["status", "--exec-id", "E"], ["status", "--all"]]) {
    const status = await runOrun(args, { cwd: dir, env: { NO_COLOR: "1" } });
    assert.equal(status.code, 0, status.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(status.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, args.join(" "));
  }
  const one = await runOrun(["status", "--exec-id", "E"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.match(one.stdout, /boom\\u\{1b\}\]0;pwned\\u\{7\}\\u\{1b\}\[2J second line/);
  assert.match(one.stdout, /▲ orun esc\\u\{1b\}\[5m\n {2}Plan: ab\\u\{1b\}\]0;title\\u\{7\}\\u\{1b\}\[31mcd\\u\{9b\}2J {2}· {2}Run: E {2}·/);
});

test("a migrated .orun-state.json that left a job running is interrupted: status says so with the resume, --watch and logs --follow exit 1", async (t) => {
  const dir = await planDir(t, JOBS, { name: "legacy" }, "orun-rec14-");
  const jobs = { "app.dev.build": { status: "completed", steps: { s1: "completed" } }, "app.dev.deploy": { status: "running", steps: { s1: "running" } } };
  await writeFile(path.join(dir, ".orun-state.json"), JSON.stringify({ execId: "old", planChecksum: "", jobs }));
  const run = await runOrun(["run", "plan.json", "--exec-id", "now", "--job", "app@dev.build"], { cwd: dir });
  const migrated = /executions\/(migrated-\S+)/.exec(run.stdout)?.[1];
  assert.ok(migrated, run.stdout + run.stderr);
  const status = await runOrun(["status", "--exec-id", migrated], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /State: interrupted/);
  assert.match(status.stdout, /! deploy {2}interrupted/);
  assert.match(status.stdout, /is no longer alive; resume with: orun run --exec-id migrated-/);
  assert.doesNotMatch(status.stdout, /● 1 running/);
  const watch = await runOrun(["status", "--exec-id", migrated, "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(watch.code, 1, `--watch ended (${watch.code}): ${watch.stdout}`);
  const follow = await runOrun(["logs", "--exec-id", migrated, "--follow"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(follow.code, 1, `logs --follow ended (${follow.code}): ${follow.stdout}`);
  assert.match(follow.stdout, /interrupted before any step printed output/);
});

test("a status this orun does not know (metadata.json or state.json, perhaps a newer orun's) is named with its file and field by status, logs, run and gc, and the record is left as it was", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-rec14-");
  const cases = [
    { id: "M", file: "metadata.json", from: /"status": "completed"/, to: '"status": "frobnicated"', field: "(status)" },
    { id: "S", file: "state.json", from: /"status": "completed"/, to: '"status": "frobnicated"', field: "(jobs.app@dev.build.status)" },
  ];
  for (const { id, file, from, to, field } of cases) {
    assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
    const edited = (await readFile(recordFile(dir, id, file), "utf8")).replace(from, to);
    await writeFile(recordFile(dir, id, file), edited);
    const where = `${recordFile(dir, id, file)} ${field}: `;
    const why = 'unknown status "frobnicated": not a status this orun knows (a newer orun may have written it)';
    for (const args of [["status", "--exec-id", id], ["logs", "--exec-id", id], ["run", "plan.json", "--exec-id", id]]) {
      const out = await runOrun(args, { cwd: dir });
      // logs shows the step logs without metadata.json (they do not depend on it), the same words as a warning.
      const shown = args[0] === "logs" && file === "metadata.json";
      assert.equal(out.code, shown ? 0 : 1, `${args.join(" ")}: ${out.stdout}`);
      if (shown) assert.match(out.stdout, /── app@dev\.deploy › s1 {2}\(completed\)\ndeployed\n/);
      assert.ok(out.stderr.includes(where) && out.stderr.includes(why), `${args.join(" ")}: ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /^\s+at /m, "no stack trace");
      // Not "corrupt": that contradicts the newer-orun explanation (rev30b).
      assert.doesNotMatch(out.stderr, /corrupt/, `${args.join(" ")}: ${out.stderr}`);
    }
    const all = await runOrun(["status", "--all"], { cwd: dir });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`${id}\\s+unreadable\\s`));
    const gc = await runOrun(["gc", "--all"], { cwd: dir });
    assert.match(gc.stdout, new RegExp(`kept ${id} \\(`), gc.stdout);
    // Kept for its metadata, said so — not by chance (another check that happens to keep a record of unknown age).
    if (file === "metadata.json") assert.ok(gc.stdout.includes(`kept ${id} (metadata unreadable: ${where}`) && gc.stdout.includes(why), gc.stdout);
    assert.doesNotMatch(gc.stdout, /corrupt/, gc.stdout);
    assert.equal(await readFile(recordFile(dir, id, file), "utf8"), edited, `${file} is left as it was`);
  }
});
