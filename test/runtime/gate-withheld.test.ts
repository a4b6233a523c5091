// A remote promotion gate that finds a run at the revision which succeeded yet is no evidence names the one cause the
// backend recorded for it, with the advice that fits; without a recorded cause (a result from before the backend
// kept one) it names both; with no such run it says so and what to run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdir } from "node:fs/promises";
import { GateEvaluator } from "../../src/runtime/gates.js";
import type { WithheldGateEvidence } from "../../src/runtime/hooks.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { emptyState } from "../../src/runtime/records/state.js";
import { noteRemovedEvidence, type RemovedEvidence } from "../../src/runtime/removed-evidence.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";

const REV = "0123456789abcdef0123456789abcdef01234567";
const gate = { type: "environment-promotion" as const, environment: "staging", component: "web", condition: "success", match: { revision: "source" } };
const BOTH =
  "the backend has no run at that revision whose web jobs in staging all succeeded running that commit; a success from other code records no evidence: a job retried after a fix, or a GitHub Actions runner whose OIDC token is for another commit than the one it ran";

test("a remote gate names the recorded cause of withheld evidence, or both causes when none was recorded", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "web@prod.deploy", gates: [gate], steps: [] }], { revision: REV });
  const reasonFor = async (answer: boolean | WithheldGateEvidence) =>
    new GateEvaluator(REV, new ExecutionStore(dir), "e1", emptyState("e1", "x"), { gateSatisfied: () => Promise.resolve(answer) }).check(plan.jobs[0]!, { approve: false });
  const withheld = (cause: WithheldGateEvidence["withheld"]["cause"], reason: string | null): WithheldGateEvidence => ({ withheld: { runId: "run-7", jobId: "web@staging.deploy", cause, reason } });
  const head = `promotion gate: web must have succeeded in staging at revision ${REV.slice(0, 12)} (`;

  assert.equal(
    await reasonFor(withheld("other-code", "the runner reported running 222222222222, not the run's revision 0123456789ab")),
    `${head}the backend's run run-7 at that revision had every web job in staging succeed, but web@staging.deploy ran other code than that commit and records no evidence: the runner reported running 222222222222, not the run's revision 0123456789ab; a job retried after a fix ran the fix, not this commit: run the fixed commit's plan in staging and promote that commit)`,
  );
  assert.equal(
    await reasonFor(withheld("oidc-commit", null)),
    `${head}the backend's run run-7 at that revision had every web job in staging succeed, but web@staging.deploy ran on a GitHub Actions runner whose OIDC token does not vouch for that commit and records no evidence; run staging from a checkout of the commit its workflow run is for (github.sha), and promote that commit)`,
  );
  // A checkout that moved on, had edits or was another folder: the fix's commit to run, or this commit from a clean checkout.
  assert.equal(
    await reasonFor(withheld("other-checkout", "the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision 0123456789ab")),
    `${head}the backend's run run-7 at that revision had every web job in staging succeed, but web@staging.deploy ran from a checkout that was not that commit (it had moved on, had edits, or was another folder) and records no evidence: the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision 0123456789ab; a fix is evidence once committed: run that commit's plan in staging and promote it, or run staging again from a clean checkout of this commit)`,
  );
  // Both causes: the advice covers both, so following it is enough.
  assert.equal(
    await reasonFor(withheld("other-code-and-oidc-commit", "the runner reported running 222222222222, not the run's revision 0123456789ab; also, the runner's GitHub Actions OIDC token is for commit 333333333333 (…)")),
    `${head}the backend's run run-7 at that revision had every web job in staging succeed, but web@staging.deploy ran other code than that commit, on a GitHub Actions runner whose OIDC token does not vouch for it either, and records no evidence: the runner reported running 222222222222, not the run's revision 0123456789ab; also, the runner's GitHub Actions OIDC token is for commit 333333333333 (…); a job retried after a fix ran the fix, not this commit, and its runner's OIDC token does not vouch for the commit it ran: run the fixed commit's plan in staging from a checkout of the commit its workflow run is for (github.sha), and promote that commit)`,
  );
  assert.ok((await reasonFor(withheld(null, null)))?.startsWith(`${head}${BOTH}`));
  // No run at the revision succeeded: said plainly, with what to run, and no retry/OIDC causes that do not apply.
  assert.equal(
    await reasonFor(false),
    `${head}the backend has no run at that revision in which every web job in staging succeeded; run them for that commit, e.g. \`orun run --component web --env staging --remote-state\` in a clean checkout of it, then retry this job)`,
  );
  assert.equal(await reasonFor(true), undefined);
});

test("a gate with a condition orun does not run is refused and named, whatever the evidence", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "web@prod.deploy", gates: [{ ...gate, condition: "failure" }], steps: [] }], { revision: REV });
  const evaluator = new GateEvaluator(REV, new ExecutionStore(dir), "e1", emptyState("e1", "x"), { gateSatisfied: () => Promise.resolve(true) });
  assert.equal(await evaluator.check(plan.jobs[0]!, { approve: false }), 'promotion gate: web must have succeeded in staging (unsupported condition "failure")');
  assert.deepEqual(await evaluator.checkLocalGate({ ...gate, condition: "always" }), { blocked: 'promotion gate: web must have succeeded in staging (unsupported condition "always")' });
});

test("a local gate names the newest success gc removed at the revision, when gc removed more than one", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  await mkdir(store.orunDir, { recursive: true });
  const note = (execId: string, removedAt: string, cause: RemovedEvidence["cause"]): RemovedEvidence => ({ execId, component: "web", environment: "staging", revision: REV, removedAt, cause, ...(cause === "older-revision" ? { revisions: 3 } : {}) });
  await noteRemovedEvidence(store, [note("older-run", "2026-01-01T00:00:00Z", "drop-evidence")]);
  await noteRemovedEvidence(store, [note("newer-run", "2026-02-01T00:00:00Z", "older-revision")]);
  const plan = makePlan([{ id: "web@prod.deploy", gates: [gate], steps: [] }], { revision: REV });
  const reason = await new GateEvaluator(REV, store, "e1", emptyState("e1", "x")).check(plan.jobs[0]!, { approve: false });
  assert.match(reason ?? "", /orun gc removed execution newer-run, its success at this revision, on 2026-02-01: it keeps the newest success of web in staging for the 3 newest revisions/);
  assert.doesNotMatch(reason ?? "", /older-run/);
});
