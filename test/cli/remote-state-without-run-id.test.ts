// Newcomer audit (fuprun15): status and logs under remote state that intent.yaml (or ORUN_REMOTE_STATE) turned on,
// with no run named, say what turned it on and how to name the run — they said "--remote-state requires
// --exec-id", a flag the user never typed. Real processes, real files in temp dirs (no backend is reached).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: remote-demo
execution:
  state:
    mode: remote
    backendUrl: http://127.0.0.1:9
`;

test("status and logs under remote state from intent.yaml or ORUN_REMOTE_STATE name what turned it on and how to name the run", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-fup15-remote-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, "intent.yaml"), INTENT);
  const hint = "(name it with --exec-id <run-id> or ORUN_EXEC_ID: the run ID its runners shared)";
  const clean = { ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  for (const command of ["status", "logs"]) {
    const fromIntent = await runOrun([command], { cwd: dir, env: clean });
    assert.equal(fromIntent.code, 1, command);
    assert.equal(fromIntent.stderr, `✕ ${path.join(dir, "intent.yaml")} turns remote state on (execution.state.mode: remote), so orun ${command} reads a run from the backend and needs to know which ${hint}\n`);
    assert.doesNotMatch(fromIntent.stderr, /--remote-state/);
  }
  const elsewhere = await mkdtemp(path.join(os.tmpdir(), "orun-fup15-remote-"));
  t.after(() => rm(elsewhere, { recursive: true, force: true }));
  const fromEnv = await runOrun(["status"], { cwd: elsewhere, env: { ...clean, ORUN_REMOTE_STATE: "true", ORUN_BACKEND_URL: "http://127.0.0.1:9" } });
  assert.equal(fromEnv.stderr, `✕ ORUN_REMOTE_STATE=true turns remote state on, so orun status reads a run from the backend and needs to know which ${hint}\n`);
  // Typed, the flag is the one to name.
  const flag = await runOrun(["logs", "--remote-state", "--backend-url", "http://127.0.0.1:9"], { cwd: elsewhere, env: clean });
  assert.equal(flag.stderr, "✕ --remote-state requires --exec-id or ORUN_EXEC_ID\n");
});
