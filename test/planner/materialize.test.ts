import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Component } from "../../src/model/intent.js";
import { encodePlanJson } from "../../src/plan/format.js";
import type { BoundJob } from "../../src/planner/bind.js";
import { compileWorkspace } from "../../src/planner/compile.js";
import type { Instance } from "../../src/planner/expand.js";
import { loadWorkspace } from "../../src/planner/load/index.js";
import { interpolate, mergeEnv, mergeParameters, orderSteps } from "../../src/planner/materialize.js";
import type { NormalizedEnvironment } from "../../src/planner/normalize.js";
import { baseRepo, cleanupRepos, writeRepo } from "./support.js";

after(cleanupRepos);

function environment(partial: Partial<NormalizedEnvironment> = {}): NormalizedEnvironment {
  return { name: "dev", selectors: { components: [], domains: [] }, parameterDefaults: {}, policies: {}, env: {}, promotion: [], ...partial };
}

function component(partial: Partial<Component>): Component {
  return {
    name: "web",
    type: "svc",
    subscribe: { environments: [] },
    parameters: {},
    overrides: { steps: [] },
    labels: {},
    dependsOn: [],
    env: {},
    change: { watches: [] },
    source: "inline",
    ...partial,
  } as Component;
}

test("parameter interpolation: legacy keys substituted, other {{…}} dropped, ${{…}} kept, trimmed", () => {
  const vars = { environment: "dev", component: "web", group: "core" };
  assert.equal(interpolate("grp-{{.environment}}/{{ .component }}/{{.group}}", vars), "grp-dev/web/core");
  assert.equal(interpolate("  keep {{ .Values.x }} this  ", vars), "keep  this");
  assert.equal(interpolate("{{.component}}-{{ .orun.x }} ", vars), "web-");
  assert.equal(interpolate("token=${{ secrets.TOKEN }}", vars), "token=${{ secrets.TOKEN }}");
});

test("path: component.path beats the group's default, which beats the environment's; `./` otherwise", () => {
  const env = environment({ parameterDefaults: { "*": { path: "env/{{.component}}", a: 1 }, svc: { b: 2 } } });
  const group = { name: "core", policies: {}, parameterDefaults: { svc: { path: "grp", c: 3 } } } as unknown as Instance["group"];
  const base: Instance = { component: component({}), environment: env };
  assert.deepEqual(mergeParameters(base), { parameters: { a: 1, b: 2 }, path: "env/web" });
  assert.equal(mergeParameters({ ...base, group }).path, "grp");
  assert.equal(mergeParameters({ ...base, group, component: component({ path: "own" }) }).path, "own");
  assert.deepEqual(mergeParameters({ component: component({}), environment: environment() }), { parameters: {}, path: "./" });
  // a non-string `path` parameter stays a parameter and the path is empty
  assert.deepEqual(mergeParameters({ component: component({ parameters: { path: 3 } }), environment: environment() }), { parameters: { path: 3 }, path: "" });
  // schema defaults are the lowest layer
  assert.deepEqual(mergeParameters(base, { a: 0, z: 9 }).parameters, { a: 1, b: 2, z: 9 });
});

test("env: intent → environment → component → subscription, values interpolated", () => {
  const sub = { name: "dev", profileRules: [], env: { S: "sub" }, parameters: {} } as unknown as Instance["subscription"];
  const instance: Instance = {
    component: component({ env: { C: "comp", S: "comp" } }),
    environment: environment({ env: { E: "{{ .environment }}", C: "env" } }),
    subscription: sub,
  };
  assert.deepEqual(mergeEnv(instance, { R: "root", E: "root" }), { R: "root", E: "dev", C: "comp", S: "sub" });
});

test("steps sort by phase, then order (negatives first), then declaration; unknown phases are errors", () => {
  const job = {
    id: "web@dev.deploy",
    steps: [
      { name: "c", phase: "post" },
      { name: "a", phase: "pre", order: 2 },
      { name: "b" },
      { name: "d", phase: "PRE " as "pre", order: 1 },
      { name: "e", phase: "pre", order: -1 },
    ],
  } as unknown as BoundJob;
  assert.deepEqual(orderSteps(job).map((s) => `${s.step.name}:${s.phase}`), ["e:pre", "d:pre", "a:pre", "b:main", "c:post"]);
  const bad = { id: "web@dev.deploy", steps: [{ name: "x", phase: "during" }] } as unknown as BoundJob;
  assert.throws(() => orderSteps(bad), /failed to render steps for job web@dev\.deploy: invalid step phase "during" in step x/);
});

test("determinism: shuffling components, environments and registry order changes nothing", async () => {
  const manifest = (name: string, dep?: string): string =>
    `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: svc\n${dep ? `  dependsOn:\n    - component: ${dep}\n` : ""}`;
  const dir = await writeRepo(
    baseRepo(
      `discovery:\n  roots: [apps]\nenvironments:\n  dev:\n    selectors: { components: ["*"] }\n  qa:\n    selectors: { components: ["*"] }\n    promotion: { dependsOn: [{ environment: dev }] }\n  prod:\n    selectors: { components: ["*"] }\n    promotion: { dependsOn: [{ environment: qa, strategy: environment-barrier }] }\n`,
      { "apps/a/component.yaml": manifest("a", "c"), "apps/b/component.yaml": manifest("b", "a"), "apps/c/component.yaml": manifest("c"), "apps/d/component.yaml": manifest("d") },
    ),
  );
  const workspace = await loadWorkspace({ cwd: dir });
  const now = new Date("2026-01-01T00:00:00Z");
  const reference = encodePlanJson(compileWorkspace(workspace, { cwd: dir, now }).plan);
  const reversed = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(record).reverse());
  const shuffled = {
    ...workspace,
    components: [...workspace.components].reverse(),
    intent: Object.assign(Object.create(workspace.intent) as typeof workspace.intent, { environments: reversed(workspace.intent.environments) }),
    compositions: { ...workspace.compositions, byType: reversed(workspace.compositions.byType), byKey: reversed(workspace.compositions.byKey) },
  };
  const again = encodePlanJson(compileWorkspace(shuffled, { cwd: dir, now }).plan);
  assert.equal(again, reference);
  assert.equal(JSON.parse(reference).jobs.length, 12);
});
