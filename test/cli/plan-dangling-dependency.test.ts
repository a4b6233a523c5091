// A dependsOn naming an environment or component that does not exist says
// which field is wrong (the environment's line, not the component's) and
// suggests the name meant.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const body = (dep: string): string => `environments:
  dev:
    selectors: { components: ["*"] }
  prod-eu:
    selectors: { components: ["*"] }
components:
  - name: net
    type: svc
  - name: app
    type: svc
    dependsOn:
      - ${dep}
`;

test("a dangling dependency names the misspelt field and suggests the name", async () => {
  for (const [dep, field, expected] of [
    ["{ component: net, environment: prdo-eu }", "environment", "depends on net@prdo-eu (no environment named prdo-eu; did you mean `prod-eu`?)"],
    ["{ component: nte }", "component", "depends on nte@dev (no component named nte; did you mean `net`?)"],
    ["{ component: zzzzzz }", "component", "depends on zzzzzz@dev (no component named zzzzzz)"],
  ] as const) {
    const dir = await writeRepo(baseRepo(body(dep)));
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.stderr, `✕ intent.yaml:21: components[1].dependsOn[0].${field}: failed to plan jobs: dependency not found: app@dev ${expected}\n`);
  }
});
