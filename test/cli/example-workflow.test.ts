// The shipped GitHub Actions workflow must fit this repository: its intent
// directory exists and its environment fan-out covers the plan's environments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../support/cli.js";
import { compilePlan } from "../../src/planner/compile.js";

interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { strategy?: { matrix?: { env_name?: string[] } } }>;
}

test("examples/github-actions/remote-state-matrix.yml runs an intent directory of this repository, fanning out over its environments", async () => {
  const workflow = parse(readFileSync(path.join(PROJECT_ROOT, "examples/github-actions/remote-state-matrix.yml"), "utf8")) as Workflow;
  const workdir = path.join(PROJECT_ROOT, workflow.env.ORUN_WORKDIR);
  assert.ok(existsSync(path.join(workdir, "intent.yaml")), `${workflow.env.ORUN_WORKDIR} has an intent.yaml`);
  const { plan } = await compilePlan({ cwd: workdir, now: new Date(0) });
  const environments = [...new Set(plan.jobs.map((job) => job.environment))].sort();
  assert.deepEqual([...(workflow.jobs["run-env-fanout"].strategy?.matrix?.env_name ?? [])].sort(), environments);
});
