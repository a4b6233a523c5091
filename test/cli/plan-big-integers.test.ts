// Integers beyond 2^53 in intent, component and composition YAML, through the
// built CLI: a JavaScript number would silently hold a different value
// (9007199254740993 became 9007199254740992 in plan.json). A string map (env,
// labels) keeps the exact source text, as orun v2.3 does; anywhere else such an
// integer is an error naming file, line and field.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { baseRepo, cleanupRepos, planRepo, job, SVC } from "../planner/support.js";

after(cleanupRepos);

const ENV = `environments:
  dev:
    selectors:
      components: ["*"]
`;

test("a parameter beyond 2^53 in intent.yaml is an error naming file, line and field, with a hint to quote it", async () => {
  const run = await planRepo(baseRepo(`${ENV}components:\n  - name: api\n    type: svc\n    parameters:\n      accountId: 9007199254740993\n`));
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, /intent\.yaml:18/);
  assert.match(run.stderr, /components\[0\]\.parameters\.accountId: the integer 9007199254740993 is beyond ±9007199254740991/);
  assert.match(run.stderr, /quote it \("9007199254740993"\)/);
});

test("the same in a component.yaml, a composition document and a negative one in a subscription are refused where they are", async () => {
  const component = await planRepo({
    ...baseRepo(ENV),
    "svc/api/component.yaml": "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: svc\n  parameters:\n    big: 18446744073709551616\n",
  });
  assert.notEqual(component.code, 0);
  assert.match(component.stderr, /svc\/api\/component\.yaml:8/);
  assert.match(component.stderr, /spec\.parameters\.big: the integer 18446744073709551616/);

  const composition = await planRepo({
    ...baseRepo(`${ENV}components:\n  - {name: api, type: svc}\n`),
    "comps/svc/compositions.yaml": SVC.replace("default: 1", "default: 12345678901234567890"),
  });
  assert.notEqual(composition.code, 0);
  assert.match(composition.stderr, /comps\/svc\/compositions\.yaml:\d+/);
  assert.match(composition.stderr, /default: the integer 12345678901234567890/);

  const subscription = await planRepo(
    baseRepo(`${ENV}components:\n  - name: api\n    type: svc\n    subscribe:\n      environments:\n        - name: dev\n          parameters: {floor: -9007199254740993}\n`),
  );
  assert.notEqual(subscription.code, 0);
  assert.match(subscription.stderr, /intent\.yaml:20/);
  assert.match(subscription.stderr, /parameters\.floor: the integer -9007199254740993/);
});

test("exact values reach plan.json: env and labels keep big integers' source text; 2^53-1, quoted digits and floats stay as written", async () => {
  const run = await planRepo(
    baseRepo(
      `env:\n  CHANNEL_ID: 1234567890123456789012\n${ENV}components:\n  - name: api\n    type: svc\n    labels: {snowflake: 1152921504606846977}\n    parameters:\n      max: 9007199254740991\n      min: -9007199254740991\n      quoted: "9007199254740993"\n      hex: 0x1F\n      float: 1.0e+20\n`,
    ),
  );
  assert.equal(run.code, 0, run.stderr);
  const raw = await fs.readFile(path.join(run.dir, "plan.json"), "utf8");
  const api = job(run.plan, "api@dev.deploy");
  assert.equal(api.env?.CHANNEL_ID, "1234567890123456789012");
  assert.match(raw, /"max": 9007199254740991/);
  assert.match(raw, /"min": -9007199254740991/);
  assert.match(raw, /"quoted": "9007199254740993"/);
  assert.match(raw, /"hex": 31/);
  assert.match(raw, /"float": 100000000000000000000/);
});
