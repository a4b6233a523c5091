// Context-aware scoping (src/planner/scope.ts): the component folder you stand
// in decides what `orun run` / `orun get jobs` work on.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { componentClosure, findComponentContext, resolveCwdScope, scopeBanner, scopeMismatchWarning } from "../../src/planner/scope.js";
import { tempDir } from "../planner/changes/git-repo.js";

const root = tempDir("orun-scope-");
after(() => rmSync(root, { recursive: true, force: true }));
const files: Record<string, string> = {
  "intent.yaml": "apiVersion: sourceplane.io/v1\nkind: Intent\n",
  "apps/api/component.yaml": "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: api\nspec: {type: svc}\n",
  "apps/api/src/handlers/.keep": "",
  "apps/web/component.yml": "metadata: {name: \"web\"}\n",
  "apps/web/nameless/component.yaml": "kind: Component\nspec: {type: svc}\n",
  "apps/web/nameless/deep/.keep": "",
  "apps/broken/component.yaml": "metadata: [\n",
  "docs/.keep": "",
  "..tools/component.yaml": "metadata: {name: tools}\n",
  "component.yaml": "metadata: {name: root-component}\n",
};
for (const [rel, text] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}
const at = (rel: string) => path.join(root, rel);

const COMPONENTS = [
  { name: "api", dependsOn: [{ component: "lib" }] },
  { name: "lib", dependsOn: [{ component: "net" }, { component: "ghost" }] },
  { name: "net", dependsOn: [] },
  { name: "web", dependsOn: [{ component: "api" }] },
];

describe("finding the component you stand in", () => {
  test("walks up to the nearest manifest that names a component", async () => {
    assert.deepEqual(await findComponentContext(at("apps/api/src/handlers"), root), { name: "api", manifest: at("apps/api/component.yaml") });
    assert.equal((await findComponentContext(at("apps/web"), root))?.name, "web", "component.yml works too");
    assert.equal((await findComponentContext(at("apps/web/nameless/deep"), root))?.name, "web", "a manifest without a name is passed over");
    assert.equal(await findComponentContext(at("apps/broken"), root), undefined, "a broken manifest gives no context");
    assert.equal(await findComponentContext(at("docs"), root), undefined, "the root component does not scope its whole repository");
    assert.equal(await findComponentContext(root, root), undefined);
    assert.equal(await findComponentContext(path.dirname(root), root), undefined, "outside the intent root there is no context");
    assert.equal((await findComponentContext(at("..tools"), root))?.name, "tools", "a folder whose name starts with .. is inside the root");
  });

  test("symlinked working directories resolve to the real folder", async () => {
    const link = path.join(root, "..", `${path.basename(root)}-link`);
    symlinkSync(at("apps/api"), link);
    try {
      assert.equal((await findComponentContext(link, root))?.name, "api");
    } finally {
      rmSync(link);
    }
  });
});

describe("scope of a component", () => {
  test("the component plus its transitive dependencies", () => {
    assert.deepEqual(componentClosure("web", COMPONENTS), ["api", "lib", "net", "web"]);
    assert.deepEqual(componentClosure("net", COMPONENTS), ["net"]);
  });

  test("resolveCwdScope: --all and --component switch it off; unknown components give none", async () => {
    const scope = await resolveCwdScope({ cwd: at("apps/api/src"), intentRoot: root, components: COMPONENTS });
    assert.deepEqual(scope, { detectedComponent: "api", components: ["api", "lib", "net"] });
    assert.equal(await resolveCwdScope({ cwd: at("apps/api"), intentRoot: root, components: COMPONENTS, all: true }), undefined);
    assert.equal(await resolveCwdScope({ cwd: at("apps/api"), intentRoot: root, components: COMPONENTS, explicitComponents: ["web"] }), undefined);
    assert.equal(await resolveCwdScope({ cwd: at("apps/api"), intentRoot: root, components: [{ name: "other", dependsOn: [] }] }), undefined);
  });

  test("banner, mismatch warning and job filtering", () => {
    assert.equal(
      scopeBanner({ detectedComponent: "api", components: ["api", "lib", "net"] }),
      "context: auto-scoped to component api (+ 2 dependencies: lib, net)\nhint: pass --all to include all components\n",
    );
    assert.match(scopeBanner({ detectedComponent: "net", components: ["net"] }), /^context: auto-scoped to component net\n/);
    const plan = { metadata: { name: "p", scope: { detectedComponent: "web", components: ["web", "api"] } } };
    assert.equal(scopeMismatchWarning(plan, { components: ["api", "web"] }), undefined);
    assert.equal(scopeMismatchWarning(plan, { detectedComponent: "api", components: ["api", "lib"] }), "warning: plan was generated for [api, web] but current scope is [api, lib]\n");
    assert.equal(scopeMismatchWarning({ metadata: { name: "p" } }, { components: ["api"] }), undefined);
  });
});
