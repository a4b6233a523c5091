// A parameter one typo away from one the composition declares (`replicaz`) is
// accepted by a schema that allows extra keys, and the parameter meant keeps
// its default without a word: plan and validate warn, naming file, line and
// field. Undeclared parameters that are not near-misses stay quiet.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `${DEV_API}    parameters: { replicaz: 3, teamOwner: core }
    subscribe:
      environments:
        - name: dev
          parameters: { replica: 4 }
`;

test("a near-miss of a declared parameter is warned about in plan and validate; other extra parameters are not", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  const warnings = [
    "⚠ warning: intent.yaml:16: components[0].parameters.replicaz: composition svc declares no parameter replicaz (did you mean `replicas`?); replicas is not set here\n",
    "⚠ warning: intent.yaml:20: components[0].subscribe.environments[0].parameters.replica: composition svc declares no parameter replica (did you mean `replicas`?); replicas is not set here\n",
  ];
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(plan.stderr.split("\n\n")[0] + "\n", warnings.join(""));
  // The warning is true: the schema default stands in for what was meant.
  assert.match(plan.stdout, /"run": "echo deploy api to dev r=1"/);
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stderr, warnings.join(""));
});
