// One job through the real local runner (sh -c, real files): what a cancel between two steps records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { createRunner } from "../../src/runners/registry.js";
import { executeJob } from "../../src/runtime/job-executor.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { StateWriter, emptyState, readStateFile } from "../../src/runtime/records/state.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";

test("a run canceled between two steps leaves the job failed (canceled), never completed with steps that did not run", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "a@dev.one", steps: [{ run: "touch first" }, { run: "touch second" }] }]);
  const job = plan.jobs[0]!;
  const store = new ExecutionStore(dir);
  const state = emptyState("cancel", "sha256-x");
  const writer = new StateWriter(store.stateFile("cancel"), state, 0);
  await store.create("cancel");
  const runner = await createRunner("local");
  const runContext = { plan, execId: "cancel", workspaceDir: dir, scratchDir: path.join(store.execDir("cancel"), "tmp"), options: {} };
  await runner.prepare?.(runContext);
  t.after(() => runner.cleanup?.(runContext));
  const abort = new AbortController();
  // Ctrl-C lands the moment the first step has ended, before the second starts.
  const emit = (event: RunEvent): void => {
    if (event.type === "step-end" && event.stepKey === "s1") abort.abort();
  };
  const result = await executeJob({ runner, runContext, ids: { runner: "local", planId: "x", execId: "cancel" }, state, writer, store, workdir: { workspaceDir: dir }, signal: abort.signal, emit }, job);
  await writer.flush();
  assert.ok(existsSync(path.join(dir, "first")));
  assert.equal(existsSync(path.join(dir, "second")), false);
  assert.equal(result.status, "failed");
  assert.equal(result.fatal, true);
  const saved = (await readStateFile(store.stateFile("cancel")))!.jobs["a@dev.one"]!;
  assert.equal(saved.status, "failed", "a resume must run the job again");
  assert.deepEqual(saved.steps, { s1: "completed", s2: "skipped" });
  assert.match(saved.lastError ?? "", /canceled/);
});

test("a retried step: the hooks hear each new attempt (onStepRetry), in order", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "a@dev.flaky", steps: [{ id: "try", retry: 2, run: "echo try >> tries; [ $(wc -l < tries) -ge 3 ]" }] }]);
  const job = plan.jobs[0]!;
  const store = new ExecutionStore(dir);
  const state = emptyState("retry", "sha256-x");
  const writer = new StateWriter(store.stateFile("retry"), state, 0);
  await store.create("retry");
  const runner = await createRunner("local");
  const runContext = { plan, execId: "retry", workspaceDir: dir, scratchDir: path.join(store.execDir("retry"), "tmp"), options: {} };
  await runner.prepare?.(runContext);
  t.after(() => runner.cleanup?.(runContext));
  const heard: string[] = [];
  const hooks = {
    onStepRetry: (retried: typeof job, key: string, attempt: number, attempts: number) => void heard.push(`${retried.id} ${key} ${attempt}/${attempts}`),
  };
  const result = await executeJob({ runner, runContext, ids: { runner: "local", planId: "x", execId: "retry" }, state, writer, store, workdir: { workspaceDir: dir }, signal: new AbortController().signal, emit: () => undefined, hooks }, job);
  await writer.flush();
  assert.equal(result.status, "completed");
  assert.deepEqual(heard, ["a@dev.flaky try 2/3", "a@dev.flaky try 3/3"]);
});
