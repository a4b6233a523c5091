import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { loadWorkspace } from "../../src/planner/load/index.js";
import { compilePlan } from "../../src/planner/compile.js";
import { applyIntentPresets } from "../../src/planner/presets.js";
import { tempDir } from "./changes/git-repo.js";
import { MINIMAL_SVC } from "./load/helpers.js";

const STACK = `apiVersion: orun.io/v1
kind: Stack
metadata: {name: test-stack, version: 0.1.0}
spec:
  intentPresets:
    - {name: base, path: presets/base.yaml}
    - {name: second, path: presets/second.yaml}
    - {name: wrong-kind, path: presets/wrong-kind.yaml}
    - {name: extra-key, path: presets/extra-key.yaml}
    - {name: escape, path: ../outside.yaml}
    - {name: dotted, path: ..shared/dotted.yaml}
    - {name: dangling, path: presets/dangling.yaml}
`;

const BASE = `apiVersion: sourceplane.io/v1
kind: IntentPreset
metadata: {name: base}
spec:
  env: {ORG: preset-org, OWNER: preset-owner, CONFLICT: first}
  discovery: {roots: [apps, services]}
  automation:
    triggerBindings:
      pr:
        on: {provider: github, event: pull_request}
        plan: {scope: changed}
      push-main:
        on: {provider: github, event: push, branches: [main]}
  groups:
    core:
      path: groups/core
      policies: {requireApproval: "true", owner: platform}
      parameterDefaults:
        "*": {tier: gold, region: preset-region}
    edge:
      policies: {requireApproval: "false"}
  environments:
    dev:
      activation: {triggerRefs: [pr]}
      parameterDefaults:
        "*": {lane: preset-lane, replicas: 7}
      env: {PENV: p, REGION: preset}
      policies: {requireApproval: "false"}
      selectors: {components: [preset-only]}
      promotion:
        dependsOn: [{environment: qa}]
    qa:
      selectors: {components: ["*"]}
      parameterDefaults:
        "*": {lane: qa}
      activation: {triggerRefs: [repo-binding]}
`;

const SECOND = `apiVersion: sourceplane.io/v1
kind: IntentPreset
metadata: {name: second}
spec:
  env: {CONFLICT: second, SECOND: "2"}
  automation:
    triggerBindings:
      pr:
        on: {provider: github, event: pull_request_target}
  environments:
    dev:
      activation: {triggerRefs: [pr, push-main]}
`;

function intent(extendsBlock: string): string {
  return `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: presets}
compositions:
  sources:
    - {name: local, kind: dir, path: ./comps}
${extendsBlock}
env: {OWNER: repo-owner}
automation:
  triggerBindings:
    repo-binding:
      on: {provider: github, event: workflow_dispatch}
groups:
  core:
    policies: {requireApproval: "false", team: repo}
    parameterDefaults:
      "*": {tier: silver}
environments:
  dev:
    parameterDefaults:
      "*": {lane: repo-lane}
    env: {REGION: repo}
    selectors: {components: ["*"]}
components:
  - {name: a, type: svc}
`;
}

const root = tempDir("orun-presets-");
after(() => rmSync(root, { recursive: true, force: true }));

function workspace(name: string, extendsBlock: string, presetFiles: Record<string, string> = {}): string {
  const dir = path.join(root, name);
  const files: Record<string, string> = {
    "intent.yaml": intent(extendsBlock),
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": MINIMAL_SVC,
    "comps/presets/base.yaml": BASE,
    "comps/presets/second.yaml": SECOND,
    "outside.yaml": "kind: IntentPreset\nspec: {}\n",
    // The base preset's discovery roots: searched, so they must exist.
    "apps/.keep": "",
    "services/.keep": "",
    ...presetFiles,
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function load(dir: string) {
  const ws = await loadWorkspace({ cwd: dir });
  return applyIntentPresets(ws.intent, ws.compositions.sources, ws.rootDir);
}

describe("intent presets (extends)", () => {
  test("presets merge in declaration order; the repository's values win", async () => {
    const dir = workspace("merge", "extends:\n  - {source: local, preset: base}\n  - {source: local, preset: second}");
    const merged = await load(dir);
    assert.deepEqual(merged.extends, []);
    // root env: repo wins, then the earlier preset wins over the later one
    assert.deepEqual(merged.env, { CONFLICT: "first", ORG: "preset-org", OWNER: "repo-owner", SECOND: "2" });
    assert.deepEqual(merged.discovery.roots, ["apps", "services"]);
    // bindings added by name only when absent: the second preset's `pr` does not replace the first's
    assert.deepEqual(Object.keys(merged.automation.triggerBindings), ["pr", "push-main", "repo-binding"]);
    assert.equal(merged.automation.triggerBindings.pr!.on.event, "pull_request");

    const dev = merged.environments.dev!;
    assert.deepEqual(dev.parameterDefaults, { "*": { lane: "repo-lane", replicas: 7 } });
    assert.deepEqual(dev.env, { PENV: "p", REGION: "repo" });
    assert.deepEqual(dev.selectors.components, ["*"], "the repo's selectors are kept");
    assert.deepEqual(dev.activation.triggerRefs, ["pr", "push-main"], "trigger refs are a union");
    assert.deepEqual(dev.promotion.dependsOn, [], "promotion is not merged into an existing environment");
    assert.deepEqual(dev.policies, { requireApproval: "false" });
    assert.equal(dev.origin.file, "intent.yaml", "merged environments keep the repository's origin");

    const qa = merged.environments.qa!;
    assert.deepEqual(qa.parameterDefaults, { "*": { lane: "qa" } });
    assert.deepEqual(qa.activation.triggerRefs, ["repo-binding"], "a preset may activate on the repository's bindings");
    assert.equal(qa.origin.file, "comps/presets/base.yaml");
    assert.equal(qa.origin.line, 32);
    assert.deepEqual(Object.keys(merged.environments), ["dev", "qa"]);

    const core = merged.groups.core!;
    assert.deepEqual(core.parameterDefaults, { "*": { region: "preset-region", tier: "silver" } });
    // policies: additive, and the platform preset wins a conflicting key (a guardrail)
    assert.deepEqual(core.policies, { requireApproval: "true", team: "repo", owner: "platform" });
    assert.equal(core.path, "groups/core");
    assert.deepEqual(merged.groups.edge!.policies, { requireApproval: "false" });
  });

  test("no extends: the intent is returned as loaded", async () => {
    const dir = workspace("none", "");
    const ws = await loadWorkspace({ cwd: dir });
    assert.equal(await applyIntentPresets(ws.intent, ws.compositions.sources, ws.rootDir), ws.intent);
  });

  test("a repo environment may name a trigger binding that only a preset provides", async () => {
    const dir = workspace("preset-binding", "extends:\n  - {source: local, preset: base}");
    const intentFile = path.join(dir, "intent.yaml");
    const text = intent("extends:\n  - {source: local, preset: base}").replace(
      "    selectors: {components: [\"*\"]}\ncomponents:",
      "    selectors: {components: [\"*\"]}\n    activation: {triggerRefs: [push-main]}\ncomponents:",
    );
    assert.notEqual(text, intent("extends:\n  - {source: local, preset: base}"));
    writeFileSync(intentFile, text);
    const merged = await load(dir);
    assert.ok(merged.environments.dev.activation.triggerRefs.includes("push-main"));
    assert.ok("push-main" in merged.automation.triggerBindings);
  });

  test("an unpublished preset names the intent line and lists what is available", async () => {
    const dir = workspace("third", "extends:\n  - {source: local, preset: base}\n  - {source: local, preset: third}");
    await assert.rejects(load(dir), (err: Error) => {
      assert.match(err.message, /^intent\.yaml:9: extends\[1\]\.preset: source "local" does not publish preset "third"; available: \[base dangling dotted escape extra-key second wrong-kind\]/);
      return true;
    });
  });

  test("a preset's own promotion cycle is refused in the preset file", async () => {
    const dir = workspace("preset-cycle", "extends:\n  - {source: local, preset: dangling}", {
      "comps/presets/dangling.yaml": "kind: IntentPreset\nspec:\n  environments:\n    x: {promotion: {dependsOn: [{environment: y}]}}\n    y: {promotion: {dependsOn: [{environment: x}]}}\n",
    });
    await assert.rejects(load(dir), (err: Error) => {
      assert.equal(err.message, "comps/presets/dangling.yaml:5: environments.y.promotion.dependsOn: promotion dependency cycle detected: x → y → x");
      return true;
    });
  });

  test("promotion edges of the repository and a preset never combine into a cycle", async () => {
    // Naively joined, repo dev → qa and preset qa → dev would be a cycle; each environment keeps one side's edges.
    const repo = intent("extends:\n  - {source: local, preset: dangling}").replace(
      '    selectors: {components: ["*"]}\ncomponents:',
      '    selectors: {components: ["*"]}\n    promotion: {dependsOn: [{environment: qa}]}\n  qa:\n    selectors: {components: ["*"]}\ncomponents:',
    );
    const dir = workspace("promotion-merge", "", {
      "intent.yaml": repo,
      "comps/presets/dangling.yaml":
        "kind: IntentPreset\nspec:\n  environments:\n    dev: {}\n    qa: {promotion: {dependsOn: [{environment: dev}]}}\n    uat: {selectors: {components: [\"*\"]}, promotion: {dependsOn: [{environment: qa}]}}\n",
    });
    const merged = await load(dir);
    const edges = Object.values(merged.environments).map((e) => [e.name, e.promotion.dependsOn.map((d) => d.environment)]);
    assert.deepEqual(edges, [
      ["dev", ["qa"]],
      ["qa", []],
      ["uat", ["qa"]],
    ]);
    const { plan } = await compilePlan({ cwd: dir, revision: null });
    assert.deepEqual(
      plan.jobs.map((j) => [j.id, j.dependsOn ?? []]),
      [
        ["a@qa.deploy", []],
        ["a@dev.deploy", ["a@qa.deploy"]],
        ["a@uat.deploy", ["a@qa.deploy"]],
      ],
    );
  });

  test("bad preset files: wrong kind, unsupported keys, a path leaving the source, a dangling trigger ref", async () => {
    const wrongKind = workspace("kind", "extends:\n  - {source: local, preset: wrong-kind}", { "comps/presets/wrong-kind.yaml": "apiVersion: x\nkind: Intent\nspec: {}\n" });
    await assert.rejects(load(wrongKind), (err: Error) =>
      err.message.startsWith('comps/presets/wrong-kind.yaml:2: kind: preset file comps/presets/wrong-kind.yaml has kind "Intent", expected IntentPreset'),
    );
    const extra = workspace("extra", "extends:\n  - {source: local, preset: extra-key}", {
      "comps/presets/extra-key.yaml": "kind: IntentPreset\nspec:\n  env: {A: b}\n  components: []\n",
    });
    await assert.rejects(load(extra), (err: Error) => /^comps\/presets\/extra-key\.yaml:4: spec\.components: unknown key "components".*presets carry only/.test(err.message));
    const escape = workspace("escape", "extends:\n  - {source: local, preset: escape}");
    await assert.rejects(load(escape), /has path "\.\.\/outside\.yaml" outside the source/);
    // A folder whose name starts with ".." is inside the source.
    const dotted = workspace("dotted", "extends:\n  - {source: local, preset: dotted}", { "comps/..shared/dotted.yaml": "kind: IntentPreset\nspec:\n  env: {DOTTED: \"yes\"}\n" });
    assert.equal((await load(dotted)).env?.DOTTED, "yes");
    const dangling = workspace("dangling", "extends:\n  - {source: local, preset: dangling}", {
      "comps/presets/dangling.yaml": "kind: IntentPreset\nspec:\n  environments:\n    dev:\n      activation: {triggerRefs: [nope]}\n",
    });
    await assert.rejects(load(dangling), /failed to merge intent presets:\n {2}intent\.yaml:\d+: environments\.dev\.activation\.triggerRefs: environment "dev" references unknown trigger binding "nope"/);
    const badValue = workspace("bad-value", "extends:\n  - {source: local, preset: dangling}", {
      "comps/presets/dangling.yaml": "kind: IntentPreset\nspec:\n  environments:\n    dev:\n      env: {ORUN_X: y}\n",
    });
    await assert.rejects(load(badValue), (err: Error) => err.message.startsWith("comps/presets/dangling.yaml:5"));
  });
});
