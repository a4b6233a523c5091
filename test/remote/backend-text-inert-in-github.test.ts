// Inside GitHub Actions (GITHUB_ACTIONS=true) the lines remote `status`, `logs` and `run` print that quote a backend's
// text — `status --watch`'s "Error fetching remote state" line, a client's outage notice, a runner's line quoting a
// job's reason — start no workflow command (`::error::x` on a line of its own, `##[error]y` anywhere) and hide a
// value a job's step masked where the command knows it (mask28). Real backend behind a loopback relay, or a scripted
// backend on loopback; the built CLI as a real process.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { planOf, startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun } from "./processes.js";
import { runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";
import { until } from "../support/wait.js";
import { planDir } from "../runtime/helpers.js";

const SECRET = "s3cr3t-mask28-value";
const COMMANDS = "\n::error::x ##[error]y";

/** Lines the runner around orun would read as a workflow command. */
function commandLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => /^\s*::/.test(line) || line.includes("##["));
}

/** A loopback server: `answer` gives a request's status and JSON body, or undefined to forward it to `target`. */
async function server(t: { after(fn: () => Promise<void>): void }, answer: (method: string, at: string) => { status: number; body: unknown } | undefined, target?: string): Promise<string> {
  const listening = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const given = answer(req.method ?? "GET", new URL(req.url ?? "/", "http://x").pathname);
      if (given || !target) return void res.writeHead(given?.status ?? 404, { "content-type": "application/json" }).end(JSON.stringify(given?.body ?? {}));
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type"]) if (req.headers[name]) headers[name] = String(req.headers[name]);
      void fetch(target + (req.url ?? "/"), { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }).then(async (reply) => {
        res.writeHead(reply.status, { "content-type": reply.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await reply.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => listening.close(() => resolve())));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

/**
 * A finished run on a real backend whose job failed after masking SECRET (its error is status's own text). Its log is
 * as a runner from before upmask29 uploaded it, the value in clear after `::add-mask::` (today's runners upload
 * `::add-mask::***`, so the backend never holds the value): the readers learn their masks from such a log.
 */
async function maskedRun(t: { after(fn: () => Promise<void>): void }, runId: string): Promise<{ dir: string; backendUrl: string; env: NodeJS.ProcessEnv }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-mask28-"));
  const db = (await testDatabase("sqlite")) as TestDatabase;
  const backend = await startTestBackend(db.url);
  t.after(async () => {
    killAllChildren();
    await backend.stop();
    await db.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const token = await tokenFor(backend.store, "acme/widgets");
  const client = new BackendClient({ baseUrl: backend.url, auth: { kind: "token", token: async () => token } });
  await client.createRun({ plan: planOf({ "a@dev.mint": [] }), runId });
  const { claimed, leaseToken: lease } = await client.claim(runId, "a@dev.mint", "older-runner");
  assert.equal(claimed, true);
  await client.appendLog(runId, "a@dev.mint", `=== main ===\n::add-mask::${SECRET}\n`, 0, "older-runner", { lease });
  await client.update(runId, "a@dev.mint", { runnerId: "older-runner", status: "failed", error: "exit status 3" }, { lease });
  const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
  return { dir, backendUrl: backend.url, env: { ...env, ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "true" } };
}

test("status --watch inside GitHub Actions: the Error fetching remote state line is inert and masks a job's masked value", { timeout: 180_000 }, async (t) => {
  const runId = "mask28-watch";
  const { dir, backendUrl, env } = await maskedRun(t, runId);
  // The jobs and their logs come from the backend (the watcher reads the masks there); the run itself answers an error
  // quoting the masked value and workflow commands.
  const relay = await server(t, (method, at) => (method === "GET" && at === `/v1/runs/${runId}` ? { status: 400, body: { error: `bad ${SECRET}${COMMANDS}`, code: "BAD_REQUEST" } } : undefined), backendUrl);
  const watch = spawnOrun(["status", "--watch", "--remote-state", "--backend-url", relay, "--exec-id", runId, "--interval", "200ms"], { cwd: dir, env });
  await until(() => /Error fetching remote state: .*polls failed since/.test(watch.output()), "the error line", 60_000);
  watch.child.kill("SIGKILL");
  const output = (await watch.done).output;
  assert.match(output, /Error fetching remote state: bad \*\*\* ::error::x ##\\\[error\]y \(BAD_REQUEST\) — /, output);
  assert.doesNotMatch(output, new RegExp(SECRET), output);
  assert.deepEqual(commandLines(output), [], output);
});

test("status inside GitHub Actions: a backend's refusal of the run, its last word, is inert and masks a value the jobs it read masked", { timeout: 180_000 }, async (t) => {
  const runId = "mask29-refused";
  const { dir, backendUrl, env } = await maskedRun(t, runId);
  // The jobs and their logs come from the backend (their masks); the run itself is refused, quoting the value.
  const relay = await server(t, (method, at) => (method === "GET" && at === `/v1/runs/${runId}` ? { status: 400, body: { error: `bad ${SECRET}${COMMANDS}`, code: "BAD_REQUEST" } } : undefined), backendUrl);
  const args = ["status", "--remote-state", "--backend-url", relay, "--exec-id", runId];
  const status = await runOrun(args, { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(status.code, 1, status.stdout + status.stderr);
  assert.match(status.stderr, /^✕ .*bad \*\*\*\n\\::error::x ##\\\[error\]y/m, status.stderr);
  assert.doesNotMatch(status.stdout + status.stderr, new RegExp(SECRET), status.stderr);
  assert.deepEqual(commandLines(status.stdout + status.stderr), [], status.stderr);
  // --json prints the error as JSON on stdout too: masked the same, no `##[` in its strings.
  const json = await runOrun([...args, "--json"], { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(json.code, 1, json.stdout + json.stderr);
  const { error } = JSON.parse(json.stdout) as { error: { message: string } };
  assert.match(error.message, /bad \*\*\*\n::error::x ##\[error\]y/, error.message);
  assert.doesNotMatch(json.stdout + json.stderr, new RegExp(SECRET), json.stdout + json.stderr);
  assert.deepEqual(commandLines(json.stdout + json.stderr), [], json.stdout + json.stderr);
});

test("status inside GitHub Actions: a backend's outage notice quoting its answer is inert", { timeout: 60_000 }, async (t) => {
  const url = await server(t, () => ({ status: 503, body: { error: `down${COMMANDS}`, code: "UNAVAILABLE" } }));
  const env = { NO_COLOR: "1", ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "true", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_BACKEND_RETRY_MS: "1500" };
  const status = await runOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "R"], { env, timeoutMs: 30_000 });
  assert.notEqual(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stderr, /is busy \(down\n\\::error::x ##\\\[error\]y \(UNAVAILABLE\)\); retrying/, status.stderr);
  assert.deepEqual(commandLines(status.stdout + status.stderr), [], status.stderr);
});

test("logs --follow inside GitHub Actions: a backend's outage notice is inert and masks a job's masked value", { timeout: 180_000 }, async (t) => {
  const runId = "mask28-follow";
  const { dir, backendUrl, env } = await maskedRun(t, runId);
  // The jobs and their logs come from the backend first (their masks); the run answers 503 once, quoting the value.
  let down = 1;
  const relay = await server(t, (method, at) => (method === "GET" && at === `/v1/runs/${runId}` && down-- > 0 ? { status: 503, body: { error: `down ${SECRET}${COMMANDS}`, code: "UNAVAILABLE" } } : undefined), backendUrl);
  const logs = await spawnOrun(["logs", "--follow", "--remote-state", "--backend-url", relay, "--exec-id", runId], { cwd: dir, env }).done;
  assert.equal(logs.code, 1, logs.output);
  assert.match(logs.output, /is busy \(down \*\*\*\n\\::error::x ##\\\[error\]y \(UNAVAILABLE\)\); retrying/, logs.output);
  // Past the commands orun itself hands to the runner (the mask, the stop-commands markers) no value nor command.
  const said = logs.output.replace(/^(::add-mask::|::stop-commands::|::orun-stop-logs-).*$/gm, "");
  assert.doesNotMatch(said, new RegExp(SECRET), logs.output);
  assert.deepEqual(commandLines(said), [], logs.output);
});

test("run inside GitHub Actions: a runner's line quoting a backend's reason is inert", { timeout: 60_000 }, async (t) => {
  const url = await server(t, (_method, at) => ({
    status: 200,
    body: at === "/v1/runs"
      ? { runId: "R", status: "running", createdAt: new Date().toISOString() }
      : at.endsWith("/claim") ? { claimed: false, depsBlocked: true, reason: `held${COMMANDS}` } : at.includes("/logs/") ? { ok: true, bytes: 1 } : { ok: true },
  }));
  const dir = await planDir(t, [{ id: "app@dev.held", steps: [{ id: "main", run: "true" }] }], { name: "p" }, "orun-mask28-run-");
  const env = { NO_COLOR: "1", ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "true", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  const run = await runOrun(["run", "plan.json", "--remote-state", "--backend-url", url, "--exec-id", "R"], { cwd: dir, env, timeoutMs: 60_000 });
  assert.match(run.stderr, /✕ job app@dev\.held will not run: .*\(held\n\\::error::x ##\\\[error\]y\)\n/, run.stdout + run.stderr);
  assert.deepEqual(commandLines(run.stderr), [], run.stderr);
});

// The run's summary on stdout quotes the reason too, on one line (its line break shown as a space), so `##[error]` and
// `::error::` sit mid-line: GitHub's runner reads the old syntax anywhere in a line (ActionCommand.TryParse), so the
// line is printed between stop-commands markers, where the runner acts on nothing but the resume token
// (ActionCommandManager.TryProcessCommand) and writes the line as text; GitHub's log view shapes only a line that starts
// with `##[group]`, `##[error]`… (mask29).
test("run inside GitHub Actions: the summary line quoting a backend's reason mid-line is read by the runner as text", { timeout: 60_000 }, async (t) => {
  const url = await server(t, (_method, at) => ({
    status: 200,
    body: at === "/v1/runs"
      ? { runId: "R", status: "running", createdAt: new Date().toISOString() }
      : at.endsWith("/claim") ? { claimed: false, depsBlocked: true, reason: `held ##[error]y ::error::z ##[group]g${COMMANDS}` } : at.includes("/logs/") ? { ok: true, bytes: 1 } : { ok: true },
  }));
  const dir = await planDir(t, [{ id: "app@dev.held", steps: [{ id: "main", run: "true" }] }], { name: "p" }, "orun-mask29-run-");
  const env = { NO_COLOR: "1", ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "true", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  const run = await runOrun(["run", "plan.json", "--remote-state", "--backend-url", url, "--exec-id", "R"], { cwd: dir, env, timeoutMs: 60_000 });
  const lines = run.stdout.split("\n");
  const at = lines.findIndex((line) => line.includes("(held ##[error]y ::error::z ##[group]g ::error::x ##[error]y)"));
  assert.ok(at > 0, run.stdout);
  const token = /^::stop-commands::(orun-stop-[\w.@-]+)$/.exec(lines[at - 1]!)?.[1];
  assert.ok(token, `the line is not after a stop-commands marker:\n${run.stdout}`);
  assert.equal(lines[at + 1], `::${token}::`, run.stdout);
  // What the runner processes of the whole stdout: orun's markers only, each span closed; no line GitHub's view shapes.
  const { commands, log } = runnerLog(run.stdout);
  assert.ok(commands.length > 0 && commands.length % 2 === 0, run.stdout);
  commands.forEach((command, i) => assert.equal(command.name, i % 2 === 0 ? "stop-commands" : commands[i - 1]!.data.toLowerCase(), run.stdout));
  assert.deepEqual(shapingLines(log), [], run.stdout);
});
