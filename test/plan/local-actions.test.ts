// The missing-local-action check validate, plan and `run --dry-run` share (src/plan/local-actions.ts), on real
// folders: job-level `use: ./path` steps only, relative to the repository root, not to the job's path.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PlanJob } from "../../src/model/plan.js";
import { isLocalActionUse, localActionMissing, missingLocalActions } from "../../src/plan/local-actions.js";

const roots: string[] = [];
after(() => Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true }))));

function job(steps: PlanJob["steps"]): PlanJob {
  return { id: "api@dev.deploy", name: "deploy", component: "api", environment: "dev", path: "services/api", steps } as PlanJob;
}

test("isLocalActionUse: ./path, ../path and . are local; owner/repo@ref and docker:// are not", () => {
  for (const use of ["./actions/x", " ../shared/x ", "."]) assert.equal(isLocalActionUse(use), true, use);
  for (const use of ["actions/checkout@v4", "docker://alpine", ".github/actions/x", ""]) assert.equal(isLocalActionUse(use), false, use);
});

test("missingLocalActions names the job-level local actions missing under the root, with the run's words", async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), "orun-local-actions-"));
  roots.push(root);
  await mkdir(path.join(root, "actions/hello"), { recursive: true });
  await mkdir(path.join(root, "services/api/actions/nope"), { recursive: true }); // under the job's path: not where it is looked for
  const missing = missingLocalActions(
    [
      job([
        { id: "hello", phase: "main", use: "./actions/hello" },
        { id: "report", phase: "main", use: " ./actions/nope " },
        { id: "picked", phase: "main", use: "${{ env.ACTION }}" },
        { id: "remote", phase: "main", use: "acme/x@v1" },
        { id: "outside", phase: "main", use: "../elsewhere" },
        { id: "script", phase: "main", use: "./actions/nope", run: "echo a run step" },
        { id: "first", phase: "pre", use: "./actions/gone" },
      ]),
    ],
    root,
  );
  const dir = (rel: string): string => path.join(root, rel);
  assert.deepEqual(missing, [
    { job: "api@dev.deploy", step: "first", use: "./actions/gone", dir: dir("actions/gone"), message: localActionMissing("./actions/gone", dir("actions/gone"), root) },
    { job: "api@dev.deploy", step: "report", use: "./actions/nope", dir: dir("actions/nope"), message: localActionMissing("./actions/nope", dir("actions/nope"), root) },
  ]);
  assert.equal(missing[1]!.message, `local action ./actions/nope: ${dir("actions/nope")} does not exist (local actions are relative to the repository root ${root})`);
});
