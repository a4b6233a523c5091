// rev15rec #3: inside a step, `orun status` / `orun logs` read the run the step belongs to — this store's record
// it names, or the backend's run under remote state — and fall back to the latest only when the ID names
// nothing here (a step of a run in another repository). Real processes, a real HTTP server on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("inside a step, an ORUN_EXEC_ID naming a record of this store is the run status and logs read (not the latest)", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "say", run: 'echo "run $ORUN_EXEC_ID"' }] }]);
  for (const id of ["rs1", "rs2"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  // What a step of run rs1 (plan p1) sees: its IDs, and ORUN_JOB_RUN_ID naming the same pair.
  const step = { ORUN_PLAN_ID: "p1", ORUN_EXEC_ID: "rs1", ORUN_JOB_RUN_ID: "p1:rs1:api@dev.build" };
  const status = await runOrun(["status"], { cwd: dir, env: step });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Run: rs1 /);
  assert.equal((await runOrun(["logs", "--raw"], { cwd: dir, env: step })).stdout, "run rs1\n");
  // A run elsewhere (no such record here): this folder's latest, as before.
  const foreign = { ORUN_PLAN_ID: "p1", ORUN_EXEC_ID: "outer", ORUN_JOB_RUN_ID: "p1:outer:x@dev.y" };
  assert.match((await runOrun(["status"], { cwd: dir, env: foreign })).stdout, /Run: rs2 /);
  assert.equal((await runOrun(["logs", "--raw"], { cwd: dir, env: foreign })).stdout, "run rs2\n");
});

test("a step's `orun status` under remote state asks the backend for the run the step belongs to (it said it needed --exec-id)", async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? "");
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "run not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const inner = `ORUN_REMOTE_STATE=true ORUN_BACKEND_URL=${url} ORUN_TOKEN=t "${process.execPath}" "${ORUN_BIN}" status 2>&1; echo "rc=$?"`;
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "ask", run: inner }] }]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "ci-123", "--verbose"], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.doesNotMatch(run.stdout, /needs to know which/);
  assert.ok(
    seen.some((requested) => requested.startsWith("/v1/runs/ci-123")),
    `the backend was asked for run ci-123 (asked: ${seen.join(", ") || "nothing"}); the step printed:\n${run.stdout}`,
  );
});
