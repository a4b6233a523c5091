// Big integers (beyond 2^53) where a string map takes them keep their source
// text, as orun v2.3 does — two places lost that (rev15plan #3, #4): a
// subscription's env (the schema's if/then/else there was not followed) and a
// legacy --config-dir job's step env and labels (checked without the schema).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, planRepo, writeRepo } from "../planner/support.js";
import type { Plan } from "../../src/model/plan.js";
import { promises as fs } from "node:fs";
import path from "node:path";

after(cleanupRepos);

const ENV = `environments:\n  dev:\n    selectors:\n      components: ["*"]\n`;
const SUBSCRIBED = "    subscribe:\n      environments:\n        - name: dev\n          env: {SUBB: 9007199254740993}\n";

test("a subscription's env keeps a big integer's source text, in intent.yaml and in a component.yaml", async () => {
  const inIntent = await planRepo(baseRepo(`${ENV}components:\n  - name: api\n    type: svc\n${SUBSCRIBED}`));
  const inComponent = await planRepo({
    ...baseRepo(ENV),
    "svc/api/component.yaml": `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: svc\n${SUBSCRIBED.replace(/^ {4}/gm, "  ")}`,
  });
  for (const run of [inIntent, inComponent]) {
    assert.equal(run.code, 0, run.stderr);
    const [job] = run.plan!.jobs;
    assert.equal(job!.env?.SUBB ?? job!.steps.find((s) => s.env?.SUBB)?.env?.SUBB, "9007199254740993");
  }
  // Elsewhere in a subscription it is still refused, naming the field.
  const refused = await planRepo(baseRepo(`${ENV}components:\n  - name: api\n    type: svc\n    subscribe:\n      environments:\n        - name: dev\n          parameters: {n: 9007199254740993}\n`));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /parameters\.n: the integer 9007199254740993 is beyond/);
});

test("a legacy --config-dir job's step env and labels keep a big integer's source text", async () => {
  const dir = await writeRepo({
    "intent.yaml": "apiVersion: sourceplane.io/v1\nkind: Intent\nmetadata: {name: t}\nenvironments:\n  dev: {}\ncomponents:\n  - {name: a, type: free, subscribe: {environments: [dev]}}\n",
    "reg/free/schema.yaml": "type: object\n",
    "reg/free/job.yaml":
      "apiVersion: sourceplane.io/v1\nkind: JobRegistry\nmetadata: {name: free-jobs}\njobs:\n  - name: j\n    labels: {snowflake: 1152921504606846977}\n    steps:\n      - name: s\n        run: echo \"$BIG\"\n        env: {BIG: 9007199254740993}\n",
  });
  const result = await runOrun(["plan", "-c", "reg", "-o", "plan.json"], { cwd: dir, env: { ORUN_CONFIG_DIR: "" } });
  // Before: "the integer 1152921504606846977 is beyond …" (job labels do not reach the plan; they were refused).
  assert.equal(result.code, 0, result.stderr);
  const plan = JSON.parse(await fs.readFile(path.join(dir, "plan.json"), "utf8")) as Plan;
  const [job] = plan.jobs;
  assert.equal(job!.steps[0]!.env?.BIG, "9007199254740993");
});
