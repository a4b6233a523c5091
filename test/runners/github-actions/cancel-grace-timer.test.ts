// The grace after a cancel is a timer: one past Node's 2^31-1 ms limit (ORUN_GHA_CANCEL_GRACE=800h) must not
// fire at once, which would stop always() steps and post hooks the moment the job is cancelled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { CancelGrace } from "../../../src/runners/github-actions/cancel-grace.js";
import type { JobContext } from "../../../src/runners/runner.js";
import type { JobState } from "../../../src/runners/github-actions/job-state.js";

function cancelledJob(): JobContext {
  const controller = new AbortController();
  controller.abort("cancelled");
  return { signal: controller.signal } as unknown as JobContext;
}

test("a cancel grace longer than 2^31-1 ms keeps clean-up running instead of ending at once", async () => {
  const grace = new CancelGrace(800 * 3600_000);
  const { signal, dispose } = grace.signal(cancelledJob(), {} as JobState);
  try {
    await sleep(50);
    assert.equal(signal.aborted, false);
  } finally {
    dispose();
  }
});

test("a short cancel grace still ends", async () => {
  const grace = new CancelGrace(20);
  const { signal, dispose } = grace.signal(cancelledJob(), {} as JobState);
  try {
    const deadline = Date.now() + 5_000;
    while (!signal.aborted && Date.now() < deadline) await sleep(10);
    assert.equal(signal.aborted, true);
  } finally {
    dispose();
  }
});
