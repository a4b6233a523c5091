// Test repositories for the compiler: real files in a temp dir, built from
// small YAML snippets. `baseRepo()` is the spec's fixture "S" (10-planner §5):
// a dir source `./comps` with a profile-less `svc` type and a `tf` type with
// execution profiles.
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import assert from "node:assert/strict";
import { compilePlan, type CompileOptions, type CompileResult } from "../../src/planner/compile.js";
import { OrunError } from "../../src/util/errors.js";

export type Files = Record<string, string>;

const created: string[] = [];

/** Writes `files` (relative path → text) into a fresh temp dir, in the given order. */
export async function writeRepo(files: Files, order?: string[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-plan-"));
  created.push(dir);
  for (const rel of order ?? Object.keys(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, files[rel]!);
  }
  return dir;
}

/** Removes every repo written so far (call from `after`). */
export async function cleanupRepos(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

export const STACK = `apiVersion: orun.io/v1
kind: Stack
metadata:
  name: test-stack
  version: 0.1.0
`;

/** A composition of type svc up to its `jobs:` list (8 lines, the schema's, then `jobs:`): `schema` is its parameterSchema, indented four spaces. */
const svcHead = (schema = "    type: object\n"): string => `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: svc
spec:
  type: svc
  defaultJob: deploy
  parameterSchema:
${schema}  jobs:
`;

/** Fixture S's svc: parameter replicas (default 1), job deploy (runsOn, timeout, retries, four steps) and job other. */
export const SVC = `${svcHead(`    type: object
    properties:
      parameters:
        type: object
        properties:
          replicas:
            type: integer
            default: 1
`)}    - name: deploy
      runsOn: ubuntu-latest
      timeout: 10m
      retries: 2
      steps:
        - id: the-id
          name: main-step
          run: "echo deploy {{.orun.component.name}} to {{.orun.environment.name}} r={{.parameters.replicas}}"
        - name: post-step
          phase: post
          run: echo post
        - name: pre-b
          phase: pre
          order: 2
          run: echo pre-b
        - name: pre-a
          phase: pre
          order: 1
          run: echo pre-a
          with:
            num: 5
            tmpl: "{{.orun.job.id}}"
    - name: other
      steps:
        - run: echo other
`;

export const TF = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: tf
spec:
  type: tf
  defaultJob: plan
  defaultProfile: verify
  parameterSchema:
    type: object
  jobs:
    - name: plan
      steps:
        - name: init
          capability: tf.init
          run: terraform init
        - name: plan
          capability: tf.plan
          run: terraform plan
        - name: apply
          capability: tf.apply
          run: terraform apply
        - name: always
          run: echo always
    - name: drift
      steps:
        - name: d1
          run: "echo drift {{.orun.profile.name}}"
  executionProfiles:
    verify:
      jobs:
        plan:
          includeCapabilities: [tf.init, tf.plan]
    apply:
      policies:
        requireApproval: true
      jobs:
        plan:
          stepsEnabled: [init, apply]
          stepOverrides:
            apply:
              run: terraform apply -auto-approve
        drift:
          stepsEnabled: [d1]
`;

export const HEADER = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: s-test
compositions:
  sources:
    - name: local
      kind: dir
      path: ./comps
`;

/** A composition of type svc whose one job, deploy, runs `steps`: YAML list items indented eight spaces. */
export const svcComposition = (steps: string): string => `${svcHead()}    - name: deploy
      steps:
${steps}`;

/**
 * A repository of two discovered components, apps/api and apps/web (each with an index.ts to change), of a svc type
 * whose one job, deploy, runs `run`: for tests of change detection and of what a run names.
 */
export function twoAppsRepo(intent: string, run: string): Files {
  const component = (name: string): string => `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: ${name}}\nspec:\n  type: svc\n`;
  return {
    "intent.yaml": intent,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": svcComposition(`        - {name: deploy, run: ${JSON.stringify(run)}}\n`),
    "apps/api/component.yaml": component("api"),
    "apps/api/index.ts": "1\n",
    "apps/web/component.yaml": component("web"),
    "apps/web/index.ts": "1\n",
  };
}

/** Fixture S with `body` appended to the intent header (environments, components, ...). */
export function baseRepo(body: string, extra: Files = {}): Files {
  return {
    "intent.yaml": HEADER + body,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
    "comps/tf/compositions.yaml": TF,
    ...extra,
  };
}

/**
 * The smallest intent body for fixture S: environment dev selecting every component, and component api of type
 * svc. Its last line is the component's, so keys for api (path:, parameters:…) can follow it.
 */
export const DEV_API = `environments:
  dev:
    selectors: { components: ["*"] }
components:
  - name: api
    type: svc
`;

/** DEV_API with environment prod too, promoted from dev (its jobs wait for dev's). */
export const DEV_PROD_API = `environments:
  dev:
    selectors: { components: ["*"] }
  prod:
    selectors: { components: ["*"] }
    promotion:
      dependsOn: [{ environment: dev }]
components:
  - name: api
    type: svc
`;

/** Environments dev, staging, prod selecting every component (no subscriptions needed). */
export const THREE_ENVS = `environments:
  dev:
    selectors:
      components: ["*"]
  staging:
    selectors:
      components: ["*"]
  prod:
    selectors:
      components: ["*"]
`;

export interface PlanRun {
  dir: string;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The written plan (`-o plan.json`), when the command succeeded. */
  plan?: Plan;
}

/** Writes the repo, runs `orun plan -o plan.json <args>` in it and reads the plan back. */
export async function planRepo(files: Files, args: string[] = []): Promise<PlanRun> {
  const dir = await writeRepo(files);
  const result = await runOrun(["plan", "-o", "plan.json", ...args], { cwd: dir });
  let plan: Plan | undefined;
  if (result.code === 0) plan = JSON.parse(await fs.readFile(path.join(dir, "plan.json"), "utf8")) as Plan;
  return { dir, ...result, plan };
}

/** `orun plan -o -` in `dir`, which must succeed: the plan and what plan printed on stderr (its warnings). */
export async function planned(dir: string): Promise<{ plan: Plan; stderr: string }> {
  const result = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  return { plan: JSON.parse(result.stdout) as Plan, stderr: result.stderr };
}

/** Runs git in `dir` as a fixed author; its output, trimmed. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
}

export function jobIds(plan: Plan | undefined): string[] {
  return (plan?.jobs ?? []).map((j) => j.id).sort();
}

export function job(plan: Plan | undefined, id: string): PlanJob {
  const found = plan?.jobs.find((j) => j.id === id);
  if (!found) throw new Error(`job ${id} not in plan: ${jobIds(plan).join(", ")}`);
  return found;
}

/** Every edge of the plan as `dependent -> dependency`, sorted. */
export function edges(plan: Plan | undefined): string[] {
  return (plan?.jobs ?? []).flatMap((j) => (j.dependsOn ?? []).map((d) => `${j.id} -> ${d}`)).sort();
}

/** Writes the repo and compiles it in-process with the real loader. */
/** The OrunError compiling `files` fails with (the test fails when it compiles, or throws anything else). */
export async function compileError(files: Files, options: Omit<CompileOptions, "cwd"> = {}): Promise<OrunError> {
  try {
    await compileRepo(files, options);
  } catch (err) {
    assert.ok(err instanceof OrunError, `expected an OrunError, got ${String(err)}`);
    return err;
  }
  assert.fail("compiling succeeded");
}

export async function compileRepo(files: Files, options: Omit<CompileOptions, "cwd"> = {}): Promise<CompileResult & { dir: string }> {
  const dir = await writeRepo(files);
  return { dir, ...(await compilePlan({ cwd: dir, revision: null, now: new Date("2026-01-01T00:00:00Z"), ...options })) };
}
