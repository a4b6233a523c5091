// Input errors the user-testing campaign found without the `✕ <file>:<line>: <field>: <message>` form
// or without a "did you mean": a discovery root that does not exist (named by the whole list, no
// suggestion of the folder beside it), a composition package without stack.yaml (no file or line at
// all), and a dependency cycle (`file:line (spec.dependsOn): …`). Each is now located at the entry
// that causes it; the cycle reads as spec 12 §3.2's `cycle detection failed: …`, path added.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, HEADER, STACK, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const ENVIRONMENTS = `environments:
  dev:
    selectors: { components: ["*"] }
`;

const manifest = (name: string, extra = ""): string =>
  `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: svc\n${extra}`;

async function refusedBoth(dir: string, expected: string): Promise<void> {
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.ok(result.stderr.includes(`✕ ${expected}`), `${args[0]}:\n${result.stderr}`);
  }
}

test("a discovery root that does not exist is named by its entry and line, with the near-miss folder beside it", async () => {
  const dir = await writeRepo({
    "intent.yaml": `${HEADER}discovery:\n  roots:\n    - services\n    - aps\n${ENVIRONMENTS}`,
    "services/web/component.yaml": manifest("web"),
    "apps/api/component.yaml": manifest("api"),
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });
  await refusedBoth(dir, `intent.yaml:13: discovery.roots[1]: discovery root aps does not exist (${dir}/aps) (did you mean \`apps\`?)`);
});

test("a nested discovery root suggests the sibling under its own parent; a name close to nothing gets no suggestion", async () => {
  const files = {
    "apps/backend/api/component.yaml": manifest("api"),
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  };
  const nested = await writeRepo({ ...files, "intent.yaml": `${HEADER}discovery:\n  roots: [apps/bakend]\n${ENVIRONMENTS}` });
  await refusedBoth(nested, `intent.yaml:11: discovery.roots[0]: discovery root apps/bakend does not exist (${nested}/apps/bakend) (did you mean \`apps/backend\`?)`);
  const far = await writeRepo({ ...files, "intent.yaml": `${HEADER}discovery:\n  roots: [zzzzzz]\n${ENVIRONMENTS}` });
  const result = await runOrun(["validate"], { cwd: far });
  assert.equal(result.code, 1, result.stderr);
  assert.ok(result.stderr.includes(`✕ intent.yaml:11: discovery.roots[0]: discovery root zzzzzz does not exist (${far}/zzzzzz)\n`), result.stderr);
});

test("a composition package without stack.yaml is named where intent.yaml refers to it", async () => {
  const dir = await writeRepo({
    "intent.yaml": `${HEADER}${ENVIRONMENTS}components:\n  - name: web\n    type: svc\n`,
    "comps/stak.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });
  await refusedBoth(
    dir,
    "intent.yaml:9: compositions.sources[0].path: composition source local has no package manifest: expected stack.yaml (or legacy orun.yaml) in comps",
  );
});

test("a dependency cycle is located in the file:line: field: form and reads as the spec's message, with the path", async () => {
  const dir = await writeRepo({
    "intent.yaml": `${HEADER}${ENVIRONMENTS}`,
    "api/component.yaml": manifest("api", "  dependsOn:\n    - component: web\n"),
    "web/component.yaml": manifest("web", "  dependsOn:\n    - component: api\n"),
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });
  await refusedBoth(
    dir,
    "api/component.yaml:7: spec.dependsOn: cycle detection failed: cycle detected in job dependencies: api@dev.deploy → web@dev.deploy → api@dev.deploy\n",
  );
});
