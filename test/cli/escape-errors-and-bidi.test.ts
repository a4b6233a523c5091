// Errors and reasons quoted from a record, a plan or a backend reach the terminal escaped, as IDs already did, and
// TAB and bidi controls in IDs are escaped too (src/util/printable.ts: each as `\u{hex}`). Real runs of the built CLI:
// a plan whose step error quotes its shell, a record edited on disk, a backend on loopback answering with escapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile, type StateFile } from "../runtime/helpers.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const noRaw = (...outputs: string[]): void => {
  for (const out of outputs) assert.doesNotMatch(out, RAW, JSON.stringify(out));
};
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" };

test("a run's summary shows a step's error escaped: an escape sequence in what it quotes does not reach the terminal", async (t) => {
  // The runner's error quotes the step's shell, as the plan file gave it.
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "echo hi", shell: "\u001b[31mnosuch\u202e" }] }], { name: "esc" }, "orun-esc-run-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  noRaw(run.stdout, run.stderr);
  assert.match(run.stdout, /^ {7}error unsupported shell "\\u\{1b\}\[31mnosuch\\u\{202e\}" for job app@dev\.build step main/m);
  // -v's step line says it too.
  const verbose = await runOrun(["run", "plan.json", "--exec-id", "V", "-v"], { cwd: dir, env });
  noRaw(verbose.stdout, verbose.stderr);
  assert.match(verbose.stdout, /✗ main .*unsupported shell "\\u\{1b\}\[31mnosuch\\u\{202e\}"/);
});

test("status and logs show TAB and bidi controls in a recorded job ID, and a recorded error's escapes, as \\u{hex}", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "echo hi; exit 3" }] }], { name: "esc" }, "orun-esc-ids-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env })).code, 1);
  const file = recordFile(dir, "E", "state.json");
  const state = JSON.parse(await readFile(file, "utf8")) as StateFile;
  const error = "boom\u001b[31m red\u001b]0;pwn\u0007 tab\there \u202eevil";
  state.jobs["app@dev.build"]!.lastError = error;
  state.jobs["app@dev.\u202ebidi\tid\u2066"] = { ...state.jobs["app@dev.build"]!, steps: { "s\u200ftep": "failed" } };
  await writeFile(file, JSON.stringify(state));
  const shownError = "boom\\u{1b}[31m red\\u{1b}]0;pwn\\u{7} tab\\u{9}here \\u{202e}evil";
  const shownId = "\\u{202e}bidi\\u{9}id\\u{2066}";

  const status = await runOrun(["status", "--exec-id", "E", "--detailed"], { cwd: dir, env });
  assert.equal(status.code, 0, status.stderr);
  noRaw(status.stdout, status.stderr);
  assert.match(status.stdout, new RegExp(`✗ build .*${escapeRegExp(shownError)}$`, "m"));
  // A job its plan lacks (as every such ID: a plan refuses it) is not listed, but named in status's warning, escaped.
  assert.match(status.stdout, new RegExp(`does not: app@dev\\.${escapeRegExp(shownId)}; not counted or listed`));

  const logs = await runOrun(["logs", "--exec-id", "E"], { cwd: dir, env });
  assert.equal(logs.code, 0, logs.stderr);
  noRaw(logs.stdout, logs.stderr);
  assert.ok(logs.stdout.includes(`── app@dev.${shownId} › s\\u{200f}tep  (failed, no output)\n`), logs.stdout);
  assert.ok(logs.stdout.includes(`error: ${shownError}\n`), logs.stdout);

  // A refused --job names the record's jobs in a `✕` line.
  const typo = await runOrun(["logs", "--exec-id", "E", "--job", "nope\u001b[2J"], { cwd: dir, env });
  assert.equal(typo.code, 1);
  noRaw(typo.stdout, typo.stderr);
  assert.ok(typo.stderr.includes(`its jobs: app@dev.build, app@dev.${shownId}`), typo.stderr);
  assert.ok(typo.stderr.includes("nope\\u{1b}[2J"), typo.stderr);
});

test("a backend's error answer is shown escaped by status, logs and run under remote state (the ✕ line)", async (t) => {
  const body = JSON.stringify({ error: "bad\u001b[31m red\u001b]0;pwn\u0007 \u202eevil", code: "BAD_REQUEST" });
  const server = http.createServer((_req, res) => {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "echo hi" }] }], { name: "esc" }, "orun-esc-backend-");
  const remote = { ...env, ORUN_TOKEN: "orun_t" };
  const shown = "✕ bad\\u{1b}[31m red\\u{1b}]0;pwn\\u{7} \\u{202e}evil (BAD_REQUEST)\n";
  for (const args of [["status"], ["logs"], ["run", "plan.json"]]) {
    const result = await runOrun([...args, "--remote-state", "--backend-url", url, "--exec-id", "R"], { cwd: dir, env: remote, timeoutMs: 30_000 });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    noRaw(result.stdout, result.stderr);
    assert.ok(result.stderr.endsWith(shown), `${args[0]}: ${result.stderr}`);
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
