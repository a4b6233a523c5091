// A job's admission makes the signal that ends a promotion gate's evidence query (the run's stop or fail-fast, joined
// with AbortSignal.any) only for a job that has gates. On Node 20 each AbortSignal.any costs tens of µs and stays
// registered on the run's two long-lived signals: a 1,000-job run without a gate made one per job (about 8% of the
// orun process's CPU on the layered bench DAG, issue 3). That gated jobs still get it — a cancel ends their query — is
// cancel-during-admission.test.ts's. The whole runtime (executePlan) with the real local runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { executePlan } from "../../src/runtime/execute.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";

test("a run of jobs without gates joins no abort signals per job", async (t) => {
  const dir = await tempDir("orun-admission-signal-");
  t.after(() => removeDir(dir));
  const JOBS = 20;
  // Independent jobs: each is admitted from the ready queue (a job handed over to start after its one dependency is not).
  const plan = makePlan(Array.from({ length: JOBS }, (_, i) => ({ id: `api@dev.j${i}`, steps: [{ run: "true" }] })), { concurrency: 4 });
  const any = AbortSignal.any.bind(AbortSignal);
  let joined = 0;
  AbortSignal.any = (signals) => {
    joined++;
    return any(signals);
  };
  t.after(() => {
    AbortSignal.any = any;
  });
  const { exitCode } = await executePlan({
    plan,
    storeDir: dir,
    workspaceDir: dir,
    runner: { name: "local", source: "default" },
    execId: "x1",
    renderer: { handle: () => undefined, close: () => undefined },
    warn: () => undefined,
  });
  assert.equal(exitCode, 0);
  // A few for the run as a whole would be fine; one per job is what this guards against.
  assert.ok(joined < JOBS / 2, `${joined} AbortSignal.any calls for ${JOBS} jobs`);
});
