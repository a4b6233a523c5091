// An invalid parameter schema's message quotes the value found at the broken
// field cut short, as other schema messages do: a whole list or a long string
// buried the message.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("the value quoted in an invalid parameter schema's message is cut short", async () => {
  const long = "y".repeat(300);
  const svc = SVC.replace("      parameters:\n        type: object\n        properties:\n", `      parameters:\n        type: object\n        properties: [1, 2, "${long}"]\n        x-was:\n`);
  assert.notEqual(svc, SVC);
  const dir = await writeRepo(baseRepo(`environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - name: api\n    type: svc\n`, { "comps/svc/compositions.yaml": svc }));
  const run = await runOrun(["validate"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.parameterSchema\.properties\.parameters\.properties: invalid parameter schema: must be object \(got \[1,2,"y{60,}…\)\n$/);
  assert.ok(run.stderr.length < 250, run.stderr);
});
