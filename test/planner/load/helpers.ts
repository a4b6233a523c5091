// Temp repositories for loader tests: real files under os.tmpdir(), removed after each test file.
import { after } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadWorkspace, type LoadedWorkspace } from "../../../src/planner/load/index.js";

const created: string[] = [];
after(async () => {
  await Promise.all([...created, COMPOSITIONS_CACHE].map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** The package cache of this test process (archive and oci sources extract here, never into ~/.orun). */
export const COMPOSITIONS_CACHE = await fs.mkdtemp(path.join(os.tmpdir(), "orun-compositions-cache-"));
process.env.ORUN_COMPOSITIONS_CACHE = COMPOSITIONS_CACHE;

/** Writes `files` (path → content) into a fresh temp dir (with a .git dir so walk-up stops there). */
export async function makeRepo(files: Record<string, string>, options: { git?: boolean } = {}): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "orun-load-")));
  created.push(dir);
  if (options.git !== false) await fs.mkdir(path.join(dir, ".git"));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, content);
  }
  return dir;
}

export const STACK = "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: test-stack, version: 0.1.0}\n";

/** The smallest svc composition: one `deploy` job with one step (for tests about intent, presets and discovery). */
export const MINIMAL_SVC = `apiVersion: sourceplane.io/v1
kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps: [{name: main-step, run: echo deploy}]
`;

/** Spec fixture "S" (10-planner §5): a dir source ./comps exporting svc (inline) and tf (inline, with profiles). */
export const SVC = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object, properties: {parameters: {type: object, properties: {replicas: {type: integer}}}}}
  jobs:
    - name: deploy
      runsOn: ubuntu-latest
      timeout: 10m
      retries: 2
      steps:
        - {id: the-id, name: main-step, run: "echo deploy {{.orun.component.name}}"}
        - {name: post-step, phase: post, run: echo post}
        - {name: pre-b, phase: pre, order: 2, run: echo pre-b}
        - {name: pre-a, phase: pre, order: 1, run: echo pre-a, with: {num: 5, tmpl: "{{.orun.job.id}}"}}
    - name: other
      steps: [{run: echo other}]
`;

export const TF = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata: {name: tf}
spec:
  type: tf
  defaultJob: plan
  defaultProfile: verify
  parameterSchema: {type: object}
  jobs:
    - name: plan
      steps:
        - {name: init, capability: tf.init, run: terraform init}
        - {name: plan, capability: tf.plan, run: terraform plan}
        - {name: apply, capability: tf.apply, run: terraform apply}
        - {name: always, run: echo always}
    - name: drift
      steps: [{name: d1, run: "echo drift {{.orun.profile.name}}"}]
  executionProfiles:
    verify:
      jobs: {plan: {includeCapabilities: [tf.init, tf.plan]}}
    apply:
      jobs:
        plan: {stepsEnabled: [init, apply], stepOverrides: {apply: {run: terraform apply -auto-approve}}}
        drift: {stepsEnabled: [d1]}
`;

export const HEADER = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: test}
compositions:
  sources: [{name: local, kind: dir, path: ./comps}]
`;

/** A repo with fixture S plus the given intent body (appended to HEADER) and extra files. */
export function repoS(intentBody: string, extra: Record<string, string> = {}): Promise<string> {
  return makeRepo({
    "intent.yaml": HEADER + intentBody,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
    "comps/tf/compositions.yaml": TF,
    ...extra,
  });
}

export function load(cwd: string, intentPath?: string): Promise<LoadedWorkspace> {
  return loadWorkspace(intentPath === undefined ? { cwd } : { cwd, intentPath });
}

/** Asserts loading fails with a message matching every pattern; returns the message. */
export async function loadError(cwd: string, ...patterns: (RegExp | string)[]): Promise<string> {
  let message = "";
  await assert.rejects(load(cwd), (err: Error) => {
    message = err.message;
    assert.equal(err.name, "OrunError", `expected an OrunError, got ${err.name}: ${err.message}`);
    return true;
  });
  for (const p of patterns) {
    if (typeof p === "string") assert.ok(message.includes(p), `expected ${JSON.stringify(p)} in:\n${message}`);
    else assert.match(message, p);
  }
  return message;
}
