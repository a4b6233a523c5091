// environment-barrier promotion in a plan without the upstream environment:
// a job whose component does not run upstream waits, in a full plan, for
// every upstream job; planned alone it gets a gate for each upstream
// component (it used to get none and ran unchecked).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { baseRepo, cleanupRepos, compileRepo, job } from "./support.js";

after(cleanupRepos);

const BODY = `environments:
  dev: {}
  prod:
    promotion:
      dependsOn: [{environment: dev, strategy: environment-barrier}]
components:
  - {name: api, type: svc, subscribe: {environments: [dev, prod]}}
  - {name: db, type: svc, subscribe: {environments: [dev]}}
  - {name: edge, type: svc, subscribe: {environments: [prod]}}
`;

const gate = (component: string) => ({ type: "environment-promotion", environment: "dev", component, condition: "success", match: { revision: "source" } });

test("a prod-only component behind an environment barrier waits for every dev job, or is gated on every dev component", async () => {
  const full = await compileRepo(baseRepo(BODY));
  assert.deepEqual(job(full.plan, "edge@prod.deploy").dependsOn, ["api@dev.deploy", "db@dev.deploy"]);
  const prodOnly = await compileRepo(baseRepo(BODY), { envs: ["prod"] });
  assert.deepEqual(job(prodOnly.plan, "edge@prod.deploy").gates, [gate("api"), gate("db")]);
  // A component that runs in dev keeps v2.3's gate on its own success there (spec 10 §5 case 22).
  assert.deepEqual(job(prodOnly.plan, "api@prod.deploy").gates, [gate("api")]);
});
