// A composition's parameter schema that breaks the JSON Schema rules is told
// at the broken line and field (it was the whole schema's first line with
// ajv's pointer into it: `data/properties/parameters/properties/replicas/type`).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("an invalid parameter schema names the line and field of the mistake", async () => {
  const cases: [string, string, RegExp][] = [
    [
      "an unknown type",
      SVC.replace("            type: integer\n", "            type: integr\n"),
      /^✕ comps\/svc\/compositions\.yaml:(\d+): spec\.parameterSchema\.properties\.parameters\.properties\.replicas\.type: invalid parameter schema: must be a JSON Schema type: string, number, integer, boolean, object, array or null \(got "integr"\)\n$/,
    ],
    [
      "a negative minimum length",
      SVC.replace("            type: integer\n", "            type: integer\n            minimum: 0\n          name:\n            type: string\n            minLength: -2\n"),
      /^✕ comps\/svc\/compositions\.yaml:(\d+): spec\.parameterSchema\.properties\.parameters\.properties\.name\.minLength: invalid parameter schema: must be >= 0 \(got -2\)\n$/,
    ],
  ];
  for (const [what, svc, expected] of cases) {
    const dir = await writeRepo(baseRepo(DEV_API, { "comps/svc/compositions.yaml": svc }));
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    const m = expected.exec(run.stderr);
    assert.ok(m, `${what}: ${run.stderr}`);
    const key = what === "an unknown type" ? "type: integr" : "minLength: -2";
    assert.equal(Number(m[1]), svc.split("\n").findIndex((l) => l.trim() === key) + 1, `${what}: the line of ${key}`);
  }
});
