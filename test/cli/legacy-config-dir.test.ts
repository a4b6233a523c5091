// The legacy -c/--config-dir composition registry through the built orun
// (spec 10-planner §1.5.5, §4 and conformance case 37): plan, the stored plan
// and lock file, ORUN_CONFIG_DIR with a glob, orun compositions (also without
// an intent), orun run on a fresh compile, and the errors.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, writeRepo } from "../planner/support.js";
import { HELM_COMMAND, LEGACY_INTENT, legacyTree } from "../planner/load/legacy-fixture.js";

after(cleanupRepos);

const CONFIG = "assets/config/compositions";
// A stray ORUN_CONFIG_DIR in the environment must not decide these tests.
const NO_ENV = { ORUN_CONFIG_DIR: "" };

async function storedPlan(dir: string): Promise<Plan> {
  return JSON.parse(await fs.readFile(path.join(dir, ".orun", "plans", "latest.json"), "utf8")) as Plan;
}

describe("orun plan -c", () => {
  test("case 37: a helm component planned from the legacy registry; the stored plan runs (checksum verified)", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const plan = await runOrun(["plan", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /1 component × 1 env → 1 job/);
    const stored = await storedPlan(dir);
    assert.deepEqual(stored.spec.jobBindings, { charts: "charts-jobs", helm: "helm-jobs", helmCommon: "helmcommon-jobs", terraform: "terraform-jobs" });
    const [source] = stored.spec.compositionSources!;
    assert.deepEqual(source, {
      name: "legacy-config-dir",
      kind: "legacy-dir",
      path: CONFIG,
      resolvedDigest: source!.resolvedDigest,
      exports: ["charts", "helm", "helmCommon", "terraform"],
    });
    assert.match(source!.resolvedDigest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(stored.jobs.map((j) => j.id), ["web@dev.deploy"]);
    const job = stored.jobs[0]!;
    assert.equal(job.jobRegistry, "helm-jobs");
    assert.deepEqual(job.labels, { team: "a" });
    assert.equal(job.steps.find((s) => s.name === "deploy")!.run, HELM_COMMAND);

    const lock = await fs.readFile(path.join(dir, ".orun", "compositions.lock.yaml"), "utf8");
    assert.match(lock, /- name: legacy-config-dir\n {6}kind: legacy-dir\n {6}path: assets\/config\/compositions\n {6}resolvedDigest: sha256:[0-9a-f]{64}\n/);

    // The stored plan's checksum verifies when it is run.
    const dry = await runOrun(["run", "--dry-run", ".orun/plans/latest.json"], { cwd: dir, env: NO_ENV });
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(dry.stdout.includes(`run: ${HELM_COMMAND}`), dry.stdout);
    // Same plan content again with the long flag: same checksum.
    const again = await runOrun(["plan", "--config-dir", CONFIG, "-o", "again.json"], { cwd: dir, env: NO_ENV });
    assert.equal(again.code, 0, again.stderr);
    const copy = JSON.parse(await fs.readFile(path.join(dir, "again.json"), "utf8")) as Plan;
    assert.equal(copy.metadata.checksum, stored.metadata.checksum);
  });

  test("without -c the intent has no compositions: the spec's error, exit 1", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const res = await runOrun(["plan"], { cwd: dir, env: NO_ENV });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /✕ intent\.yaml:1: intent does not declare compositions and no legacy --config-dir fallback was provided \(add compositions\.sources/);
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans")), "no plan stored");
  });

  test("ORUN_CONFIG_DIR stands in for the flag, globs included", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const res = await runOrun(["plan"], { cwd: dir, env: { ORUN_CONFIG_DIR: "assets/*/compositions" } });
    assert.equal(res.code, 0, res.stderr);
    const stored = await storedPlan(dir);
    assert.equal(stored.spec.compositionSources![0]!.path, "assets/*/compositions");
    assert.deepEqual(stored.jobs.map((j) => j.jobRegistry), ["helm-jobs"]);
  });

  test("a parameter that breaks schema.yaml is reported at the component", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT.replace("{chart: oci://x/web}", "{chart: 42}"), ...legacyTree() });
    const res = await runOrun(["plan", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /✕ intent\.yaml:13: component web failed validation against type helm: parameters\.chart: must be a string/);
  });

  test("a broken registry fails with the file and line", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree(), [`${CONFIG}/helm/job.yaml`]: "kind: JobRegistry\nmetadata: {name: helm-jobs}\njobs: []\n" });
    const res = await runOrun(["plan", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /✕ assets\/config\/compositions\/helm\/job\.yaml:3: jobs: no jobs defined in job registry for type helm/);
    const missing = await runOrun(["plan", "-c", "assets/nope"], { cwd: dir, env: NO_ENV });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /✕ legacy --config-dir assets\/nope: no such directory/);
  });
});

describe("orun run -c", () => {
  test("a fresh compile uses the legacy registry", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const res = await runOrun(["run", "--dry-run", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /1\. web@dev\.deploy/);
    assert.ok(res.stdout.includes(`run: ${HELM_COMMAND}`), res.stdout);
  });

  test("orun component, get environments and validate take -c too", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const components = await runOrun(["component", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(components.code, 0, components.stderr);
    assert.match(components.stdout, /^1 component\n {2}✓ web +helm +dev\n$/);
    assert.equal((await runOrun(["component"], { cwd: dir, env: NO_ENV })).code, 1, "without -c the intent has no compositions");
    assert.equal((await runOrun(["get", "environments", "-c", CONFIG], { cwd: dir, env: NO_ENV })).code, 0);
    const validate = await runOrun(["validate", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /✓ All validation passed \(1 component, 1 job\)/);
  });
});

describe("orun compositions -c", () => {
  test("lists and describes the legacy types, with or without an intent", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const list = await runOrun(["compositions", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.split("\n").filter((l) => l.includes("legacy-config-dir")).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(rows, ["charts", "helm", "helmCommon", "terraform"]);
    assert.match(list.stdout, /4 composition type\(s\)/);
    const helm = await runOrun(["compositions", "helm", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(helm.code, 0, helm.stderr);
    assert.match(helm.stdout, /Source: +legacy-config-dir \(legacy-dir\)\nRegistry: +helm-jobs\n/);
    assert.match(helm.stdout, /Default job: +deploy\n/);
    assert.match(helm.stdout, /Components \(1\): web\n/);

    // No intent anywhere: the registry alone answers; without -c the missing intent is the error.
    const bare = await writeRepo({ ".git/HEAD": "ref: refs/heads/main\n", ...legacyTree() }); // .git: the intent search stops here
    const alone = await runOrun(["compositions", "list", "-c", CONFIG], { cwd: bare, env: NO_ENV });
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(alone.stdout, /^helm +legacy-config-dir +2 /m);
    const none = await runOrun(["compositions"], { cwd: bare, env: NO_ENV });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /intent/);
    const unknown = await runOrun(["compositions", "nope", "-c", CONFIG], { cwd: bare, env: NO_ENV });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /composition not found: nope/);
  });

  test("compositions lock records the legacy source", async () => {
    const dir = await writeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
    const res = await runOrun(["compositions", "lock", "-c", CONFIG], { cwd: dir, env: NO_ENV });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /└─ legacy-config-dir \(legacy-dir\) sha256:[0-9a-f]{64} · charts, helm, helmCommon, terraform\n/);
  });
});
