// Discovery roots added by intent presets (`extends`) are searched like the
// intent's own (v2.3 merged presets after discovery and never searched them).
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { loadWorkspace } from "../../src/planner/load/index.js";
import { compilePlan } from "../../src/planner/compile.js";
import { detectCwdScope } from "../../src/planner/scope.js";
import { runOrun } from "../support/cli.js";
import { tempDir } from "./changes/git-repo.js";
import { MINIMAL_SVC } from "./load/helpers.js";

const STACK = `apiVersion: orun.io/v1
kind: Stack
metadata: {name: platform-stack, version: 0.1.0}
spec:
  intentPresets:
    - {name: platform, path: presets/platform.yaml}
    - {name: more, path: presets/more.yaml}
`;

const PLATFORM_PRESET = "apiVersion: sourceplane.io/v1\nkind: IntentPreset\nmetadata: {name: platform}\nspec:\n  discovery: {roots: [platform/]}\n";

function manifest(name: string, dependsOn?: string): string {
  const deps = dependsOn ? `  dependsOn: [{component: ${dependsOn}}]\n` : "";
  return `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: ${name}}\nspec:\n  type: svc\n${deps}`;
}

function intent(roots: string | undefined, extendsRefs = ["platform"]): string {
  return [
    "apiVersion: sourceplane.io/v1",
    "kind: Intent",
    "metadata: {name: preset-roots}",
    "compositions:",
    "  sources:",
    "    - {name: local, kind: dir, path: ./comps}",
    "extends:",
    ...extendsRefs.map((p) => `  - {source: local, preset: ${p}}`),
    ...(roots === undefined ? [] : [`discovery: {roots: ${roots}}`]),
    "environments:",
    "  dev:",
    '    selectors: {components: ["*"]}',
    "",
  ].join("\n");
}

const root = tempDir("orun-preset-roots-");
after(() => rmSync(root, { recursive: true, force: true }));

function repo(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  const all: Record<string, string> = {
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": MINIMAL_SVC,
    "comps/presets/platform.yaml": PLATFORM_PRESET,
    ...files,
  };
  mkdirSync(path.join(dir, ".git"), { recursive: true });
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("discovery roots added by intent presets", () => {
  test("a preset adding platform/ puts platform/x/component.yaml into the workspace and the plan", async () => {
    const dir = repo("adds", {
      "intent.yaml": intent("[apps]"),
      "apps/a/component.yaml": manifest("a"),
      "platform/x/component.yaml": manifest("x", "a"),
    });
    const ws = await loadWorkspace({ cwd: dir });
    assert.deepEqual(
      ws.components.map((c) => [c.name, c.source, c.sourcePath, c.path]),
      [
        ["a", "discovered", "apps/a/component.yaml", "apps/a"],
        ["x", "discovered", "platform/x/component.yaml", "platform/x"],
      ],
    );
    const { plan } = await compilePlan({ cwd: dir, revision: null });
    assert.deepEqual(
      plan.jobs.map((j) => [j.id, j.dependsOn ?? []]),
      [
        ["a@dev.deploy", []],
        ["x@dev.deploy", ["a@dev.deploy"]],
      ],
    );
  });

  test("same components in the same order as when the roots are written in intent.yaml", async () => {
    const files = {
      "apps/b/component.yaml": manifest("b"),
      "platform/a/component.yml": manifest("a"),
      "platform/z/node_modules/n/component.yaml": manifest("ignored"),
      "platform/c/component.yaml": manifest("c"),
    };
    const viaPreset = await loadWorkspace({ cwd: repo("order-preset", { ...files, "intent.yaml": intent("[apps]") }) });
    const inIntent = await loadWorkspace({ cwd: repo("order-intent", { ...files, "intent.yaml": intent("[apps, platform]", []).replace("extends:\n", "") }) });
    const shape = (cs: typeof viaPreset.components) => cs.map((c) => [c.name, c.sourcePath]);
    assert.deepEqual(shape(viaPreset.components), [
      ["a", "platform/a/component.yml"],
      ["b", "apps/b/component.yaml"],
      ["c", "platform/c/component.yaml"],
    ]);
    assert.deepEqual(shape(viaPreset.components), shape(inIntent.components));
  });

  test("a component reachable from an intent root and a preset root is one component", async () => {
    // No intent roots means "." — which already covers platform/.
    const dir = repo("overlap", {
      "intent.yaml": intent(undefined, ["platform", "more"]),
      "comps/presets/more.yaml": "kind: IntentPreset\nspec:\n  discovery: {roots: [platform/x, ./platform]}\n",
      "platform/x/component.yaml": manifest("x"),
    });
    const ws = await loadWorkspace({ cwd: dir });
    assert.deepEqual(ws.components.map((c) => c.name), ["x"]);
    const { plan } = await compilePlan({ cwd: dir, revision: null });
    assert.deepEqual(plan.jobs.map((j) => j.id), ["x@dev.deploy"]);
  });

  test("a preset-root component duplicating an intent-root component's name fails naming both files", async () => {
    const dir = repo("duplicate", {
      "intent.yaml": intent("[apps]"),
      "apps/x/component.yaml": manifest("x"),
      "platform/x/component.yaml": manifest("x"),
    });
    await assert.rejects(loadWorkspace({ cwd: dir }), (err: Error) => {
      assert.equal(err.name, "OrunError");
      assert.match(err.message, /^platform\/x\/component\.yaml:3\b.*duplicate component name: x \(also defined at apps\/x\/component\.yaml:3\)/);
      return true;
    });
  });

  test("a preset root that does not exist fails like a missing intent root, naming the preset file", async () => {
    const dir = repo("missing", { "intent.yaml": intent("[apps]"), "apps/a/component.yaml": manifest("a") });
    await assert.rejects(loadWorkspace({ cwd: dir }), (err: Error) => {
      assert.equal(err.name, "OrunError");
      assert.match(err.message, /comps\/presets\/platform\.yaml.*spec\.discovery\.roots.*discovery root platform does not exist/s);
      return true;
    });
    // The same shape as the intent's own missing root.
    const own = repo("missing-own", { "intent.yaml": intent("[apps, nope]", []).replace("extends:\n", ""), "apps/a/component.yaml": manifest("a") });
    await assert.rejects(loadWorkspace({ cwd: own }), /intent\.yaml.*discovery root nope does not exist/s);
  });

  test("working-folder scoping inside a preset-root component sees it and its dependencies", async () => {
    const dir = repo("scope", {
      "intent.yaml": intent("[apps]"),
      "apps/a/component.yaml": manifest("a"),
      "apps/b/component.yaml": manifest("b"),
      "platform/x/component.yaml": manifest("x", "a"),
    });
    const scope = await detectCwdScope({ cwd: path.join(dir, "platform/x") });
    assert.deepEqual(scope, { detectedComponent: "x", components: ["a", "x"] });
  });

  describe("through the built orun", () => {
    const dir = repo("cli", {
      "intent.yaml": intent("[apps]"),
      "apps/a/component.yaml": manifest("a"),
      "apps/b/component.yaml": manifest("b"),
      "platform/x/component.yaml": manifest("x"),
      "platform/x/main.tf": "# x\n",
    });

    test("orun get components lists the preset-root component", async () => {
      const res = await runOrun(["get", "components", "-o", "json"], { cwd: dir });
      assert.equal(res.code, 0, res.stderr);
      const rows = JSON.parse(res.stdout) as { name: string }[];
      assert.deepEqual(rows.map((r) => r.name), ["a", "b", "x"]);
    });

    test("orun plan --changed selects it when a file under it changes", async () => {
      const out = path.join(dir, "changed.json");
      const res = await runOrun(["plan", "--changed", "--files", "platform/x/main.tf", "--explain", "-o", out], { cwd: dir });
      assert.equal(res.code, 0, res.stderr);
      const plan = JSON.parse(readFileSync(out, "utf8")) as Plan;
      assert.deepEqual(plan.jobs.map((j) => j.id), ["x@dev.deploy"]);
      assert.match(res.stderr + res.stdout, /selected components \(1 of 3\)/);
    });
  });
});
