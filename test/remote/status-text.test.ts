// `orun status --remote-state` as text, from a real CLI process against a real
// backend: one line per job whatever a runner sent as the job's error (several
// lines, terminal escape sequences), so the table stays readable and another
// runner's text cannot drive the reader's terminal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { inShell } from "../support/resume-hint.js";
import { PROJECT_ROOT } from "../support/cli.js";

describe("orun status --remote-state (text)", () => {
  const on = backendOnStore("sqlite", {}, "acme/status-text");

  it("shows a job's error on its own line: the first line only, control characters and escape sequences removed", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const runId = `status-text-${Date.now()}`;
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"], "c@dev.y": [] }), runId })).status, 201);
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r1" })).body.claimed, true);
    const error = "step main: \u001b]0;owned\u0007\u001b[31mboom\u001b[0m\tnow\nsecond line\u001b[2J\nthird line";
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/update`, { runnerId: "r1", status: "failed", error })).status, 200);

    const r = await spawnOrun(["status", "--remote-state", "--exec-id", runId], { env: { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" } }).done;
    assert.equal(r.code, 0, r.output);
    const controls = [...r.output].filter((ch) => ch !== "\n" && (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f));
    assert.deepEqual(controls, [], "no control character but newlines reaches the terminal");
    const a = r.output.split("\n").filter((l) => /^\s+\S+ a@dev\.x /.test(l));
    assert.equal(a.length, 1, r.output);
    assert.match(a[0], /✗ a@dev\.x\s+failed\s+\S*\s+step main: boom now …$/);
    assert.ok(!/second line|third line/.test(r.output), r.output);
    assert.match(r.output, /⊘ b@dev\.x\s+skipped\s+dependency a@dev\.x failed\n/);
    assert.match(r.output, /○ c@dev\.y\s+pending\n/);
  });

  it("quotes a run ID holding a space, `$` and a quote in the commands it prints: pasted through sh, they read the run", async (t) => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    // `orun run` takes only plain IDs, but a run registered by other tooling (or another backend) may hold any.
    const runId = `nightly $1 'x' ${Date.now()}`;
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);
    const env = { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" };
    const r = await spawnOrun(["status", "--remote-state", "--detailed", "--exec-id", runId], { env }).done;
    assert.equal(r.code, 0, r.output);
    const logs = /^Logs: (orun logs .*)$/m.exec(r.output)?.[1];
    assert.ok(logs, r.output);
    const pasted = await inShell(t, logs, PROJECT_ROOT, env);
    assert.equal(pasted.code, 0, pasted.output);
    // The run, found (unquoted, `$1` was expanded and the ID split into three arguments): it has no log yet.
    assert.match(pasted.output, /^No logs for this run yet\.$/m);
    const stepLine = /^(orun logs --exec-id .*) --job <job>/m.exec(r.output)?.[1];
    assert.equal(stepLine, logs);
  });

  it("rounds a duration to whole seconds past a minute without showing 60s (11m59.6s is 12m0s, 59.96s is 1m0s)", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const runId = `status-rounding-${Date.now()}`;
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r1" })).body.claimed, true);
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/update`, { runnerId: "r1", status: "success" })).status, 200);
    await sql(on.db!.url, "UPDATE runs SET created_at = $1, finished_at = $2 WHERE run_id = $3", ["2026-01-01T00:00:00.000Z", "2026-01-01T00:11:59.600Z", runId]);
    await sql(on.db!.url, "UPDATE jobs SET started_at = $1, finished_at = $2 WHERE run_id = $3", ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:59.960Z", runId]);
    const r = await spawnOrun(["status", "--remote-state", "--exec-id", runId], { env: { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" } }).done;
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /· Duration: 12m0s\n/);
    assert.match(r.output, /✓ a@dev\.x\s+success\s+1m0s\n/);
  });

  it("marks a job another runner took over: its time counts from the stopped runner's start", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const runId = `status-takeover-${Date.now()}`;
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": [] }), runId })).status, 201);
    for (const job of ["a@dev.x", "b@dev.x"]) assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r1" })).body.claimed, true);
    // r1 stopped heartbeating a's lease long ago (as after a SIGKILL), started it long ago too: r2 takes it over.
    await sql(on.db!.url, "UPDATE jobs SET heartbeat_at = $1, started_at = $2 WHERE run_id = $3 AND job_id = 'a@dev.x'", ["2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z", runId]);
    const taken = await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r2" });
    assert.equal(taken.body.takeover, true, JSON.stringify(taken.body));
    for (const [job, runner] of [["a@dev.x", "r2"], ["b@dev.x", "r1"]]) {
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: runner, status: "success" })).status, 200);
    }
    const r = await spawnOrun(["status", "--remote-state", "--exec-id", runId], { env: { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" } }).done;
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /✓ a@dev\.x\s+success\s+\S+\s+taken over \(timed from the first runner's start\)\n/);
    assert.match(r.output, /✓ b@dev\.x\s+success\s+\S+\n/, "a job one runner ran is not marked");
  });

  it("marks a success that is no promotion evidence with its reason, escaped; one whose cause was not recorded names both causes", async () => {
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const runId = `status-evidence-${Date.now()}`;
    const rev = "1".repeat(40);
    assert.equal((await call("POST", "/v1/runs", { plan: { ...planOf({ "a@dev.x": [], "b@dev.x": [], "c@dev.x": [] }), revision: rev }, runId })).status, 201);
    for (const [job, revision] of [["a@dev.x", rev], ["b@dev.x", null], ["c@dev.x", "2".repeat(40)]] as const) {
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r1" })).body.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: "r1", status: "success", revision })).status, 200);
    }
    // b as a backend before migration 20 left it (no cause); c's reason as a hostile store row could hold it.
    await sql(on.db!.url, "UPDATE jobs SET no_evidence_cause = NULL, no_evidence_reason = NULL WHERE run_id = $1 AND job_id = 'b@dev.x'", [runId]);
    await sql(on.db!.url, "UPDATE jobs SET no_evidence_reason = $1 WHERE run_id = $2 AND job_id = 'c@dev.x'", ["ran \u001b[2J\u202eother\u009b code", runId]);
    const env = { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" };

    const r = await spawnOrun(["status", "--remote-state", "--exec-id", runId], { env }).done;
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /✓ a@dev\.x\s+success\s+\S+\n/, "a success at the run's revision is not marked");
    assert.ok(
      r.output.includes("no promotion evidence: no cause recorded (a job retried after a fix, or a GitHub Actions runner whose OIDC token is for another commit than the one it ran)\n"),
      r.output,
    );
    assert.ok(r.output.includes("no promotion evidence: ran \\u{1b}[2J\\u{202e}other\\u{9b} code\n"), r.output);
    const drives = (ch: string) => ch !== "\n" && (ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f) || (ch >= "\u202a" && ch <= "\u202e"));
    assert.deepEqual([...r.output].filter(drives), [], "nothing that drives the terminal");

    const json = await spawnOrun(["status", "--remote-state", "--exec-id", runId, "--json"], { env }).done;
    assert.equal(json.code, 0, json.output);
    const jobs = (JSON.parse(json.output) as { state: { jobs: Record<string, { noPromotionEvidence?: unknown }> } }).state.jobs;
    assert.deepEqual(
      Object.entries(jobs).map(([id, job]) => [id, job.noPromotionEvidence]),
      [
        ["a@dev.x", undefined],
        ["b@dev.x", { cause: null, reason: null }],
        ["c@dev.x", { cause: "other-code", reason: "ran \\u{1b}[2J\\u{202e}other\\u{9b} code" }],
      ],
    );
  });
});
