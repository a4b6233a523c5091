// A discovery root outside the intent's folder is legal (spec 11 §2.4), but a
// component found there gets its folder as job path, which leaves the intent
// root and is refused. The error blamed the component's `spec.path` (at its
// `spec:` line), which the component never set: it now names the
// `discovery.roots[i]` entry in intent.yaml at its line. A path the component
// does set is still blamed on itself.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, STACK, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: s-test
compositions:
  sources:
    - {name: local, kind: dir, path: ../comps}
discovery:
  roots:
    - here
    - "../my apps"
environments:
  dev:
    selectors: { components: ["*"] }
`;

const manifest = (name: string, path?: string): string =>
  `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: svc\n${path === undefined ? "" : `  path: "${path}"\n`}`;

const repo = (apiPath?: string): Promise<string> =>
  writeRepo({
    "ci/intent.yaml": INTENT,
    "ci/here/web/component.yaml": manifest("web"),
    "my apps/api/component.yaml": manifest("api", apiPath),
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });

test("a component whose folder path leaves the intent root blames the discovery root it was found under, at its line", async () => {
  const dir = await repo();
  const message =
    '✕ intent.yaml:11: discovery.roots[1]: "../my apps" lies outside the intent root (the folder of intent.yaml): component api, found there, gets its folder "../my apps/api" as job path, which leaves the intent root';
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(["-i", "ci/intent.yaml", ...args], { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(message), `${args[0]}:\n${result.stderr}`);
    assert.ok(!result.stderr.includes("spec.path"), result.stderr);
  }
});

test("a root outside the intent folder stays legal; a path the component sets is blamed on the component", async () => {
  const inside = await runOrun(["-i", "ci/intent.yaml", "validate"], { cwd: await repo(".") });
  assert.equal(inside.code, 0, inside.stderr);
  const own = await runOrun(["-i", "ci/intent.yaml", "validate"], { cwd: await repo("../elsewhere") });
  assert.equal(own.code, 1, own.stderr);
  assert.match(own.stderr, /✕ \.\.\/my apps\/api\/component\.yaml:7: spec\.path: component api \(environment dev\): job path "\.\.\/elsewhere" leaves the intent root/);
});
