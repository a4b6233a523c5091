import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { discoverManifests, normalizeRoots } from "../../../src/planner/load/components.js";
import { load, loadError, makeRepo, repoS, HEADER, STACK, SVC, TF } from "./helpers.js";

const manifest = (name: string, spec = "type: svc"): string =>
  `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  ${spec.split("\n").join("\n  ")}\n`;

test("component manifests are discovered under the roots, skipping .git, .orun and node_modules", async () => {
  const dir = await repoS(`discovery: {roots: [apps/, ./infra/../infra, "", libs]}\n`, {
    "apps/api/component.yaml": manifest("api"),
    "apps/web/component.yml": manifest("web"),
    "apps/web/node_modules/dep/component.yaml": manifest("dep"),
    "apps/.orun/cache/component.yaml": manifest("cached"),
    "apps/.hidden/component.yaml": manifest("hidden"),
    "infra/net/component.yaml": manifest("net"),
    "libs/.git/component.yaml": manifest("gitdir"),
    "other/component.yaml": manifest("outside"),
  });
  const ws = await load(dir);
  assert.deepEqual(
    ws.components.map((c) => [c.name, c.path, c.sourcePath, c.source]),
    [
      ["api", "apps/api", "apps/api/component.yaml", "discovered"],
      ["hidden", "apps/.hidden", "apps/.hidden/component.yaml", "discovered"],
      ["net", "infra/net", "infra/net/component.yaml", "discovered"],
      ["web", "apps/web", "apps/web/component.yml", "discovered"],
    ],
  );
  assert.deepEqual(normalizeRoots(["apps/", "./infra/../infra", "", " libs ", "apps"]), ["apps", "infra", "libs"]);
  assert.deepEqual(normalizeRoots([]), ["."]);
});

test("discovery order does not depend on the order files were created", async () => {
  const names = ["zeta", "alpha", "mid", "beta", "omega"];
  const forward: Record<string, string> = {};
  for (const n of names) forward[`apps/${n}/component.yaml`] = manifest(n);
  const backward: Record<string, string> = {};
  for (const n of [...names].reverse()) backward[`apps/${n}/component.yaml`] = manifest(n);
  const a = await makeRepo({ "x": "", ...forward });
  const b = await makeRepo({ "x": "", ...backward });
  const la = await discoverManifests(a, ["."], "intent.yaml");
  const lb = await discoverManifests(b, ["."], "intent.yaml");
  assert.deepEqual(la, lb);
  assert.deepEqual(la, ["apps/alpha/component.yaml", "apps/beta/component.yaml", "apps/mid/component.yaml", "apps/omega/component.yaml", "apps/zeta/component.yaml"]);
});

test("symlinked directories are not followed during discovery", async () => {
  const dir = await repoS(`discovery: {roots: [apps]}\n`, { "apps/real/component.yaml": manifest("real"), "elsewhere/x/component.yaml": manifest("x") });
  await fs.symlink(path.join(dir, "elsewhere"), path.join(dir, "apps/link"));
  const ws = await load(dir);
  assert.deepEqual(ws.components.map((c) => c.name), ["real"]);
});

test("a manifest next to intent.yaml gets path ./, and discovered env and compositionRef are kept", async () => {
  const dir = await repoS("", {
    "component.yaml": manifest("root", "type: svc\nenv: {QUEUE: jobs}\ncompositionRef: {source: local}"),
  });
  const [c] = (await load(dir)).components;
  assert.equal(c!.path, "./");
  assert.deepEqual(c!.env, { QUEUE: "jobs" });
  assert.deepEqual(c!.compositionRef, { source: "local" });
  assert.equal(c!.origin.file, "component.yaml");
  assert.equal(c!.origin.lineOf("env.QUEUE"), 7);
});

test("component manifests must be kind Component with metadata.name and a spec.type", async () => {
  await loadError(await repoS("", { "a/component.yaml": manifest("a").replace("kind: Component", "kind: Componnet") }), 'a/component.yaml:2: kind: must be "Component" (got "Componnet")');
  await loadError(await repoS("", { "a/component.yaml": "kind: Component\nmetadata: {}\nspec: {type: svc}\n" }), "a/component.yaml:2: metadata.name: is required");
  await loadError(await repoS("", { "a/component.yaml": "kind: Component\nmetadata: {name: a}\nspec: {domain: x}\n" }), "a/component.yaml:3: spec.type: is required");
  await loadError(await repoS("", { "a/component.yaml": "kind: Component\nmetadata: {name: a}\nspec: {type: svc, inputs: {}}\n" }), 'spec.inputs: unknown key "inputs"');
  await loadError(await repoS("", { "a/component.yaml": "kind: Component\nmetadata: {name: a\nspec: {}\n" }), /^a\/component\.yaml:\d+:\d+: invalid YAML/);
});

test("subscriptions are strings or objects with a name", async () => {
  await loadError(
    await repoS("", { "a/component.yaml": manifest("a", "type: svc\nsubscribe:\n  environments:\n    - profile: verify") }),
    "a/component.yaml:9: spec.subscribe.environments[0].name: is required",
  );
  await loadError(
    await repoS("", { "a/component.yaml": manifest("a", "type: svc\nsubscribe:\n  environments:\n    - [dev, prod]") }),
    "spec.subscribe.environments[0]: must be a mapping (got a list)",
  );
});

test("duplicate component names are errors naming both places", async () => {
  await loadError(
    await repoS(`components:\n  - {name: a, type: svc}\n  - {name: a, type: tf}\n`),
    "intent.yaml:8: duplicate component name: a (also defined at intent.yaml:7)",
  );
  await loadError(
    await repoS(`components:\n  - {name: api, type: svc}\n`, { "apps/api/component.yaml": manifest("api") }),
    /^apps\/api\/component\.yaml:4: duplicate component name: api \(also defined at intent\.yaml:7\)/,
  );
  await loadError(
    await repoS("", { "apps/one/component.yaml": manifest("api"), "apps/two/component.yml": manifest("api") }),
    "apps/two/component.yml:4: duplicate component name: api (also defined at apps/one/component.yaml:4)",
  );
});

test("discovery roots must exist and be directories", async () => {
  await loadError(await repoS(`discovery: {roots: [missing]}\n`), "intent.yaml:6: discovery.roots[0]: discovery root missing does not exist");
  await loadError(await repoS(`discovery: {roots: [file.txt]}\n`, { "file.txt": "" }), "discovery root is not a directory: file.txt");
});

test("components come back sorted by name, inline and discovered together", async () => {
  const dir = await makeRepo({
    "intent.yaml": `${HEADER}components:\n  - {name: zed, type: svc}\n  - {name: beta, type: tf}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
    "comps/tf/compositions.yaml": TF,
    "x/alpha/component.yaml": manifest("alpha"),
    "x/mike/component.yaml": manifest("mike", "type: tf"),
  });
  const ws = await load(dir);
  assert.deepEqual(ws.components.map((c) => `${c.name}:${c.source}`), ["alpha:discovered", "beta:inline", "mike:discovered", "zed:inline"]);
  assert.equal(ws.compositions.componentBindings.mike, "local:tf");
});

test("inline components need a name and a type; change.watches takes only known sections", async () => {
  await loadError(await repoS(`components:\n  - {type: svc}\n`), "intent.yaml:7: components[0].name: is required");
  await loadError(
    await repoS(`components:\n  - {name: a, type: svc, change: {watches: [environments, triggers]}}\n`),
    'components[0].change.watches[1]: must be one of automation, compositions, discovery, env, environments, execution, groups (got "triggers")',
  );
  const ok = await load(await repoS(`components:\n  - {name: a, type: svc, change: {watches: [groups]}, enabled: false}\n`));
  assert.deepEqual(ok.components[0]!.change.watches, ["groups"]);
  assert.equal(ok.components[0]!.enabled, false);
});

test("the whole loaded workspace is identical however the repository's files were created", async () => {
  const files: Record<string, string> = {
    "intent.yaml": `${HEADER}discovery: {roots: [apps, libs]}\nenvironments: {dev: {}, prod: {}}\ncomponents: [{name: inline-a, type: tf}]\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
    "comps/tf/compositions.yaml": TF,
  };
  for (const n of ["web", "api", "worker", "db"]) files[`apps/${n}/component.yaml`] = manifest(n, `type: svc\ndependsOn: [{component: lib}]`);
  files["libs/lib/component.yml"] = manifest("lib", "type: tf");
  const entries = Object.entries(files);
  const a = await makeRepo(Object.fromEntries(entries));
  const b = await makeRepo(Object.fromEntries([...entries].reverse()));
  const snapshot = async (dir: string): Promise<string> => {
    const ws = await load(dir);
    const view = { intent: ws.intent, components: ws.components, sources: ws.sources, types: Object.keys(ws.compositions.byType), bindings: ws.compositions.componentBindings };
    return JSON.stringify(view, (key, value: unknown) => (key === "dir" ? undefined : value));
  };
  assert.equal(await snapshot(a), await snapshot(b));
});
