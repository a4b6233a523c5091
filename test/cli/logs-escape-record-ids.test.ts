// `orun logs` shows job IDs and step keys from the record (state.json, its log folders and files), which may come
// from anywhere (a CI artifact, a checkout): an escape sequence in one must not reach the terminal, as `orun status`
// already shows them (each control character as `\u{hex}`). Real runs of the built CLI, the record edited on disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile, type StateFile } from "../runtime/helpers.js";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test("logs, logs --follow, logs --raw and a refused --job show a planted job ID or step key with each control character as \\u{hex}", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "echo hi; exit 3" }] }], { name: "esc" }, "orun-logs-esc-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir })).code, 1);
  const file = recordFile(dir, "E", "state.json");
  const state = JSON.parse(await readFile(file, "utf8")) as StateFile;
  // A failed job with no log folder (its step and its own error are listed), a failed step that printed nothing,
  // and a log file whose name is not a step the state knows (its name is the step key shown).
  state.jobs["app@dev.\u001b[31mred"] = { ...state.jobs["app@dev.build"]!, steps: { "s\u001b]0;pwn\u0007": "failed" }, lastError: "x" };
  state.jobs["app@dev.build"]!.steps["st\u001b[2Jep"] = "failed";
  await writeFile(file, JSON.stringify(state));
  await writeFile(path.join(recordFile(dir, "E", "logs"), "app@dev.build", "f\u009b5mile.log"), "planted\n");

  const logs = await runOrun(["logs", "--exec-id", "E"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.doesNotMatch(logs.stdout, CONTROL, logs.stdout);
  assert.match(logs.stdout, /^── app@dev\.\\u\{1b\}\[31mred › s\\u\{1b\}\]0;pwn\\u\{7\} {2}\(failed, no output\)$/m);
  assert.match(logs.stdout, /^── app@dev\.\\u\{1b\}\[31mred › job {2}\(failed, no output\)\nerror: x$/m);
  assert.match(logs.stdout, /^── app@dev\.build › f\\u\{9b\}5mile {2}\(failed\)\nplanted$/m);
  assert.match(logs.stdout, /^── app@dev\.build › st\\u\{1b\}\[2Jep {2}\(failed, no output\)$/m);

  const follow = await runOrun(["logs", "--exec-id", "E", "--follow"], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(follow.code, 1, follow.stderr);
  assert.doesNotMatch(follow.stdout, CONTROL, follow.stdout);
  assert.match(follow.stdout, /^── app@dev\.\\u\{1b\}\[31mred › s\\u\{1b\}\]0;pwn\\u\{7\} {2}\(failed, no output\)$/m);
  assert.match(follow.stdout, /^── app@dev\.build › f\\u\{9b\}5mile {2}\(failed\)\nplanted$/m);

  // --raw: the logs' bytes on stdout, the entries that are not logs on stderr, escaped there too.
  const raw = await runOrun(["logs", "--exec-id", "E", "--raw"], { cwd: dir });
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout, "hi\nplanted\n");
  assert.doesNotMatch(raw.stderr, CONTROL, raw.stderr);
  assert.match(raw.stderr, /^app@dev\.\\u\{1b\}\[31mred › s\\u\{1b\}\]0;pwn\\u\{7\}: failed, no output$/m);

  // A typo is refused naming the record's jobs, and a job with no logs says what the record says of it.
  const typo = await runOrun(["logs", "--exec-id", "E", "--job", "nope"], { cwd: dir });
  assert.equal(typo.code, 1);
  assert.doesNotMatch(typo.stderr, CONTROL, typo.stderr);
  assert.match(typo.stderr, /its jobs: app@dev\.\\u\{1b\}\[31mred, app@dev\.build/);
  state.jobs["app@dev.\u001b[31mred"] = { status: "pending", steps: {}, reason: "waiting \u001b[8mfor build" };
  await writeFile(file, JSON.stringify(state));
  const none = await runOrun(["logs", "--exec-id", "E", "--job", "red"], { cwd: dir });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, "No logs match (app@dev.\\u{1b}[31mred: pending, waiting \\u{1b}[8mfor build).\n");

  // orun status already showed them so; its job rows and --detailed step rows stay escaped.
  const status = await runOrun(["status", "--exec-id", "E", "--detailed"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.equal(status.code, 0, status.stderr);
  assert.doesNotMatch(status.stdout, CONTROL, status.stdout);
  assert.match(status.stdout, /^ {8}✗ st\\u\{1b\}\[2Jep$/m);
});
