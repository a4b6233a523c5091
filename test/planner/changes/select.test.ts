import { test } from "node:test";
import assert from "node:assert/strict";
import { selectChangedComponents, normalizePath, diffIntentText, detectCiRefs, type ChangeComponent } from "../../../src/planner/changes/index.js";

const comp = (name: string, paths: string[], extra: Partial<ChangeComponent> = {}): ChangeComponent => ({ name, paths, dependsOn: [], watches: [], ...extra });

test("path prefixes match whole path segments; ./ and trailing slashes are ignored", () => {
  const components = [comp("api", ["./services/api/"]), comp("api-v2", ["services/api-v2"]), comp("root", ["./"]), comp("none", [""])];
  const s = selectChangedComponents({ components, changedFiles: ["services/api/main.go", "services/api-v2/x.go", "top.txt"], intentFile: "intent.yaml" });
  assert.deepEqual(s.components, ["api", "api-v2"]);
  assert.deepEqual(s.unownedFiles, ["top.txt"]);
  assert.equal(normalizePath("./a/b/"), "a/b");
  assert.equal(normalizePath("./"), "");
});

test("a component changes when any of its per-environment paths is touched; nested components both match", () => {
  const components = [comp("svc", ["deploy/dev/svc", "deploy/prod/svc"]), comp("outer", ["apps"]), comp("inner", ["apps/inner"])];
  const s = selectChangedComponents({ components, changedFiles: ["deploy/prod/svc/values.yaml", "apps/inner/x"], intentFile: "intent.yaml" });
  assert.deepEqual(s.components, ["inner", "outer", "svc"]);
});

test("a component's files are exactly those under its roots, whatever sorts between them (binary-searched runs of the sorted list)", () => {
  // "a-b/…", "a.txt" and "a0" sort between "a" and "a/…" or right after them; "a" itself is a file here too.
  const changedFiles = ["a", "a/x", "a/y/z", "a-b/x", "a.txt", "a0/x", "ab/x", "b/a/x", "z/a", "a/", "./a/w"];
  const components = [comp("a", ["a", "b/a"]), comp("ab", ["ab"]), comp("a-b", ["a-b"]), comp("zz", ["zz"])];
  const s = selectChangedComponents({ components, changedFiles, intentFile: "intent.yaml" });
  assert.deepEqual(s.components, ["a", "a-b", "ab"]);
  assert.deepEqual(s.reasons.a, [{ kind: "files", files: ["a", "a/w", "a/x", "a/y/z", "b/a/x"] }]);
  assert.deepEqual(s.reasons["a-b"], [{ kind: "files", files: ["a-b/x"] }]);
  assert.deepEqual(s.unownedFiles, ["a.txt", "a0/x", "z/a"]);
});

test("dependencies are closed transitively and record every selected dependent; cycles and unknown names are harmless", () => {
  const components = [
    comp("a", ["a"], { dependsOn: ["b", "ghost"] }),
    comp("b", ["b"], { dependsOn: ["c"] }),
    comp("c", ["c"], { dependsOn: ["a"] }),
    comp("d", ["d"], { dependsOn: ["c"] }),
    comp("e", ["e"]),
  ];
  const s = selectChangedComponents({ components, changedFiles: ["a/1", "d/1"], intentFile: "intent.yaml" });
  assert.deepEqual(s.components, ["a", "b", "c", "d"]);
  assert.deepEqual(s.reasons.c, [{ kind: "dependency", of: ["b", "d"] }]);
  assert.deepEqual(s.reasons.a, [{ kind: "files", files: ["a/1"] }, { kind: "dependency", of: ["c"] }]);
});

test("semantic intent diff: sections, inline components, formatting, invalid YAML", () => {
  const base = "environments:\n  dev: {}\ngroups: {core: {}}\ncomponents:\n  - {name: a, type: svc}\n  - {name: b, type: svc}\n";
  assert.deepEqual(diffIntentText(base, `# comment\n${base}`).changedSections, []);
  const reordered = "groups: {core: {}}\ncomponents:\n  - {name: b, type: svc}\n  - {name: a, type: svc}\nenvironments:\n  dev: {}\n";
  const r = diffIntentText(base, reordered);
  assert.deepEqual([r.changedSections, r.components], [[], { added: [], modified: [], removed: [] }]);
  const sections = diffIntentText(base, "env: {A: b}\nenvironments:\n  dev: {env: {X: y}}\ngroups: {core: {}}\nmetadata: {name: other}\n");
  assert.deepEqual(sections.changedSections, ["env", "environments"]);
  assert.deepEqual(sections.components.removed, ["a", "b"]);
  const comps = diffIntentText(base, base.replace("{name: b, type: svc}", "{name: b, type: helm}").concat("  - {name: c, type: svc}\n"));
  assert.deepEqual(comps.components, { added: ["c"], modified: ["b"], removed: [] });
  assert.match(diffIntentText(base, "environments: [\n").unreadable ?? "", /^head version/);
  assert.deepEqual(diffIntentText(undefined, base).changedSections, ["environments", "groups"]);
});

test("CI ref detection: GitHub PR, zero 'before' SHA, GitLab merge request, no CI", () => {
  assert.deepEqual(detectCiRefs({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "pull_request", GITHUB_BASE_REF: "release/1.0", GITHUB_SHA: "abc" }), {
    provider: "github",
    event: "pull_request",
    base: "release/1.0",
    head: "abc",
  });
  const zero = detectCiRefs({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: "/x", GITHUB_SHA: "abc" }, () => ({ before: "0".repeat(40) }));
  assert.equal(zero?.base, "main");
  assert.match(zero?.baseReason ?? "", /the push created the branch/);
  const named = detectCiRefs({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: "/x", GITHUB_SHA: "abc" }, () => ({ before: "0".repeat(40), repository: { default_branch: "trunk" } }));
  assert.deepEqual([named?.base, named?.fallbackBase], ["main", "trunk"]);
  const commit = detectCiRefs({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: "/x", GITHUB_SHA: "abc" }, () => ({ before: "a".repeat(40), repository: { default_branch: "trunk" } }));
  assert.deepEqual([commit?.base, commit?.baseReason], ["a".repeat(40), undefined]);
  assert.deepEqual(detectCiRefs({ GITLAB_CI: "true", CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main", CI_COMMIT_SHA: "def" }), {
    provider: "gitlab",
    event: "merge_request",
    base: "main",
    head: "def",
  });
  assert.equal(detectCiRefs({}), undefined);
});

test("intent changes are judged as the plan sees them: 1 → 1.0 in parameters is none, 16 → 0x10 in an env is one (rev15plan #10)", () => {
  const base = "environments:\n  dev: {}\nenv: {X: 16}\ncomponents:\n  - {name: a, type: svc, parameters: {n: 1}, env: {Y: 2}}\n";
  const same = diffIntentText(base, base.replace("n: 1}", "n: 1.0}"));
  assert.deepEqual(same.components.modified, []);
  assert.deepEqual(diffIntentText(base, base.replace("X: 16", "X: 0x10")).changedSections, ["env"]);
  assert.deepEqual(diffIntentText(base, base.replace("Y: 2", "Y: 2.0")).components.modified, ["a"]);
  assert.deepEqual(diffIntentText(base, base.replace("n: 1}", "n: 2}")).components.modified, ["a"]);
});
