// The legacy --config-dir registry (spec 10-planner §1.5.5, case 37): loading,
// the source record and its digest, the fallback for types no declared source
// exports, and every error with its file and line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { compositionFor } from "../../../src/model/composition.js";
import { compilePlan } from "../../../src/planner/compile.js";
import { configDirFrom, loadWorkspace, type LoadedWorkspace } from "../../../src/planner/load/index.js";
import { makeRepo, HEADER, STACK, SVC } from "./helpers.js";
import { HELM_JOBS, HELM_SCHEMA, LEGACY_INTENT, legacyTree } from "./legacy-fixture.js";

const CONFIG = "assets/config/compositions";

/** An explicit empty configDir keeps a stray ORUN_CONFIG_DIR of the test environment out. */
function loadLegacy(cwd: string, configDir = CONFIG): Promise<LoadedWorkspace> {
  return loadWorkspace({ cwd, configDir });
}

async function legacyError(cwd: string, configDir: string, expected: string): Promise<void> {
  await assert.rejects(loadLegacy(cwd, configDir), (err: Error) => {
    assert.equal(err.name, "OrunError", err.message);
    assert.ok(err.message.includes(expected), `expected ${JSON.stringify(expected)} in:\n${err.message}`);
    return true;
  });
}

/** v2.3 hashDirectories, written out independently: per root `<root>\n`, then `<rel>\n<bytes>\n` per file in byte order. */
function expectedDigest(files: Record<string, string>, roots: string[]): string {
  const hash = createHash("sha256");
  for (const root of roots) {
    hash.update(`${root}\n`);
    const rels = Object.keys(files)
      .filter((f) => f.startsWith(`${root}/`))
      .map((f) => f.slice(root.length + 1))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const rel of rels) hash.update(`${rel}\n${files[`${root}/${rel}`]}\n`);
  }
  return `sha256:${hash.digest("hex")}`;
}

test("case 37: a --config-dir registry stands in for composition sources", async () => {
  const files = { "intent.yaml": LEGACY_INTENT, ...legacyTree() };
  const ws = await loadLegacy(await makeRepo(files));
  const reg = ws.compositions;
  assert.deepEqual(Object.keys(reg.byType), ["charts", "helm", "helmCommon", "terraform"]);
  const helm = compositionFor(reg, ws.components[0]!)!;
  assert.equal(helm.key, "legacy-config-dir:helm");
  assert.equal(helm.sourceKind, "legacy-dir");
  assert.equal(helm.jobRegistryName, "helm-jobs");
  assert.equal(helm.defaultJob, "deploy", "the first job is the default");
  assert.deepEqual(helm.jobs.map((j) => j.name), ["deploy", "rollback"]);
  assert.deepEqual(helm.profiles, {});
  assert.deepEqual(helm.jobs[0]!.steps.map((s) => [s.name, s.retry, s.onFailure]), [
    ["update-repo", 2, undefined],
    ["deploy", undefined, "stop"],
  ]);
  assert.equal(helm.jobs[0]!.steps[1]!.origin.file, `${CONFIG}/helm/job.yaml`);
  assert.equal(helm.jobs[0]!.steps[1]!.origin.line, 16);
  assert.equal(helm.schema.origin.file, `${CONFIG}/helm/schema.yaml`);
  assert.deepEqual(ws.sources, [
    { name: "legacy-config-dir", kind: "legacy-dir", path: CONFIG, resolvedDigest: expectedDigest(files, [CONFIG]), exports: ["charts", "helm", "helmCommon", "terraform"] },
  ]);
});

test("case 37 compiled: job ID, job registry, rendered helm command, labels and jobBindings", async () => {
  const dir = await makeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
  const { plan } = await compilePlan({ cwd: dir, configDir: CONFIG, revision: null });
  assert.deepEqual(plan.spec.jobBindings, { charts: "charts-jobs", helm: "helm-jobs", helmCommon: "helmcommon-jobs", terraform: "terraform-jobs" });
  assert.deepEqual(plan.jobs.map((j) => j.id), ["web@dev.deploy"]);
  const job = plan.jobs[0]!;
  assert.equal(job.jobRegistry, "helm-jobs");
  assert.equal(job.profileSource, "legacy-none");
  assert.deepEqual(job.labels, { team: "a" });
  assert.equal(job.steps.find((s) => s.name === "deploy")!.run, "helm upgrade --install web oci://x/web --namespace dev-web --create-namespace --wait=true --timeout=5m");
  assert.equal(plan.spec.compositionSources![0]!.kind, "legacy-dir");
});

test("a glob --config-dir reads every matching directory, in order, into one source", async () => {
  const files = {
    "intent.yaml": LEGACY_INTENT,
    "assets/b/compositions/helm/job.yaml": HELM_JOBS,
    "assets/b/compositions/helm/schema.yaml": HELM_SCHEMA,
    "assets/a/compositions/tf/job.yaml": "kind: JobRegistry\nmetadata: {name: tf-jobs}\njobs: [{name: plan, steps: [{run: terraform plan}]}]\n",
    "assets/a/compositions/tf/schema.yaml": "type: object\n",
    "assets/c/other/x/job.yaml": "not: read\n",
  };
  const ws = await loadLegacy(await makeRepo(files), "assets/*/compositions");
  assert.deepEqual(Object.keys(ws.compositions.byType), ["helm", "tf"]);
  assert.equal(ws.compositions.byType.tf!.jobRegistryName, "tf-jobs");
  assert.deepEqual(ws.sources[0], {
    name: "legacy-config-dir",
    kind: "legacy-dir",
    path: "assets/*/compositions",
    resolvedDigest: expectedDigest(files, ["assets/a/compositions", "assets/b/compositions"]),
    exports: ["helm", "tf"],
  });
});

test("compositions.yaml is preferred over job.yaml; directories without a job file are skipped", async () => {
  const dir = await makeRepo({
    "intent.yaml": LEGACY_INTENT,
    ...legacyTree(),
    [`${CONFIG}/helm/compositions.yaml`]: HELM_JOBS.replace("name: helm-jobs", "name: helm-preferred"),
    [`${CONFIG}/docs/README.md`]: "not a type\n",
  });
  const ws = await loadLegacy(dir);
  assert.equal(ws.compositions.byType.helm!.jobRegistryName, "helm-preferred");
  assert.equal(ws.compositions.byType.docs, undefined);
});

test("declared sources win for their own types; the legacy registry fills in the rest", async () => {
  const dir = await makeRepo({
    "intent.yaml": `${HEADER}components:\n  - {name: a, type: svc}\n  - {name: web, type: helm, parameters: {chart: c}}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
    ...legacyTree(),
    [`${CONFIG}/svc/job.yaml`]: "kind: JobRegistry\nmetadata: {name: legacy-svc}\njobs: [{name: deploy, steps: [{run: echo legacy}]}]\n",
    [`${CONFIG}/svc/schema.yaml`]: "type: object\n",
  });
  const ws = await loadLegacy(dir);
  const [a, web] = ws.components;
  assert.equal(compositionFor(ws.compositions, a!)!.key, "local:svc");
  assert.equal(ws.compositions.byType.svc!.jobRegistryName, "test-stack");
  assert.equal(compositionFor(ws.compositions, web!)!.key, "legacy-config-dir:helm");
  assert.deepEqual(ws.sources.map((s) => [s.name, s.kind]), [["local", "dir"], ["legacy-config-dir", "legacy-dir"]]);
  assert.deepEqual(ws.sources[1]!.exports, ["charts", "helm", "helmCommon", "svc", "terraform"]);
  const { plan } = await compilePlan({ cwd: dir, workspace: ws, revision: null });
  assert.equal(plan.spec.jobBindings!.svc, "test-stack");
  assert.equal(plan.spec.jobBindings!.helm, "helm-jobs");
  assert.deepEqual(plan.spec.compositionSources!.map((s) => s.name), ["local", "legacy-config-dir"]);
});

test("without sources and without --config-dir the intent is rejected, with a hint", async () => {
  const dir = await makeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
  await assert.rejects(loadLegacy(dir, ""), (err: Error) => {
    assert.match(err.message, /^intent\.yaml:1: intent does not declare compositions and no legacy --config-dir fallback was provided \(add compositions\.sources .*-c\/--config-dir/);
    return true;
  });
});

test("configDirFrom: the flag, else a non-empty ORUN_CONFIG_DIR", () => {
  assert.equal(configDirFrom("a", { ORUN_CONFIG_DIR: "b" }), "a");
  assert.equal(configDirFrom(undefined, { ORUN_CONFIG_DIR: "b" }), "b");
  assert.equal(configDirFrom(undefined, { ORUN_CONFIG_DIR: " " }), undefined);
  assert.equal(configDirFrom("", { ORUN_CONFIG_DIR: "b" }), undefined, "an explicit empty flag turns the registry off");
});

test("registry errors name the file and line", async () => {
  const base = { "intent.yaml": LEGACY_INTENT, ...legacyTree() };
  const tf = `${CONFIG}/terraform`;
  await legacyError(await makeRepo(base), "missing", "legacy --config-dir missing: no such directory");
  await legacyError(await makeRepo(base), "intent.yaml", "legacy --config-dir intent.yaml is not a directory");
  await legacyError(await makeRepo(base), "assets/*/nothing", "legacy --config-dir assets/*/nothing matches no directory");
  await legacyError(await makeRepo({ ...base, "empty/x/notes.txt": "" }), "empty", "no compositions.yaml files found in config path: empty");

  const noSchema: Record<string, string> = { ...base };
  delete noSchema[`${tf}/schema.yaml`];
  await legacyError(await makeRepo(noSchema), CONFIG, `${tf}/job.yaml: missing schema.yaml for job registry type terraform (job at ${tf}/job.yaml)`);

  const bad = (job: string) => makeRepo({ ...base, [`${tf}/job.yaml`]: job });
  await legacyError(await bad("kind: JobRegistry\nmetadata: {name: t}\njobs: []\n"), CONFIG, `${tf}/job.yaml:3: jobs: no jobs defined in job registry for type terraform`);
  await legacyError(await bad("kind: JobRegistry\njobs:\n  - name: a\n   steps: x\n"), CONFIG, `${tf}/job.yaml:4:1: invalid YAML`);
  await legacyError(await bad("kind: JobRegistry\njobs:\n  - name: a\n    runOn: x\n"), CONFIG, `${tf}/job.yaml:4: jobs[0].runOn: unknown key "runOn" (did you mean \`runsOn\`?)`);
  await legacyError(await bad("kind: Composition\nmetadata: {name: t}\n"), CONFIG, `${tf}/job.yaml:1: kind: a legacy --config-dir job file must have kind JobRegistry (got "Composition")`);
  await legacyError(
    await bad("kind: JobRegistry\njobs:\n  - {name: a, steps: [{run: x}]}\n  - {name: a, steps: [{run: y}]}\n"),
    CONFIG,
    `${tf}/job.yaml:4: jobs[1].name: job registry terraform has duplicate job name "a"`,
  );
  await legacyError(await makeRepo({ ...base, [`${tf}/schema.yaml`]: "type: 5\n" }), CONFIG, `${tf}/schema.yaml:1: type: invalid parameter schema: must be a JSON Schema type: string, number, integer, boolean, object, array or null (got 5)`);
  await legacyError(await makeRepo({ ...base, [`${tf}/schema.yaml`]: "- a list\n" }), CONFIG, `${tf}/schema.yaml:1: schema.yaml must be a JSON Schema mapping`);

  // The same type in two glob matches is ambiguous.
  const twice = await makeRepo({ ...base, ...legacyTree("assets/other/compositions") });
  await legacyError(twice, "assets/*/compositions", "legacy composition type charts is defined twice: in assets/config/compositions/charts and assets/other/compositions/charts");
});

test("component parameters are validated against schema.yaml and reported at the component", async () => {
  const dir = await makeRepo({ "intent.yaml": LEGACY_INTENT.replace("parameters: {chart: oci://x/web}", "parameters: {chrt: oci://x/web}"), ...legacyTree() });
  await assert.rejects(compilePlan({ cwd: dir, configDir: CONFIG, revision: null }), (err: Error) => {
    assert.match(err.message, /^intent\.yaml:13: component web failed validation against type helm: parameters\.chart: is required/);
    return true;
  });
});

test("a relative --config-dir is resolved from the working directory", async () => {
  const dir = await makeRepo({ "intent.yaml": LEGACY_INTENT, ...legacyTree() });
  const ws = await loadWorkspace({ cwd: path.join(dir, "assets"), intentPath: "../intent.yaml", configDir: "config/compositions" });
  assert.equal(ws.sources[0]!.path, "config/compositions");
  assert.equal(ws.compositions.byType.helm!.jobRegistryName, "helm-jobs");
  await fs.access(path.join(dir, "assets", "config", "compositions"));
});
