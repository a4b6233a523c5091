// Planner semantics found by the planner audit: policies a profile cannot
// loosen, merged parameters validated per instance, job paths kept inside the
// intent root, empty filters refused, step shape and step IDs checked,
// wildcard subscriptions carrying their settings, every composition template
// parsed, YAML merge keys, dependsOn conditions and per-source job registries.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { OrunError } from "../../src/util/errors.js";
import { baseRepo, cleanupRepos, compileRepo, job, type Files } from "./support.js";

after(cleanupRepos);

/** A tf-like composition whose `apply` profile tries to switch approval off. */
const LOOSE_TF = `kind: Composition
metadata: {name: tf}
spec:
  type: tf
  defaultJob: plan
  defaultProfile: verify
  parameterSchema: {type: object}
  jobs:
    - name: plan
      steps:
        - {name: init, capability: tf.init, run: echo init}
        - {name: apply, capability: tf.apply, run: echo APPLY}
  executionProfiles:
    verify: {jobs: {plan: {includeCapabilities: [tf.init]}}}
    apply: {policies: {requireApproval: false, extra: "x"}, jobs: {plan: {stepsEnabled: [init, apply]}}}
`;

export async function compileError(files: Files, options: Parameters<typeof compileRepo>[1] = {}): Promise<OrunError> {
  try {
    await compileRepo(files, options);
  } catch (err) {
    assert.ok(err instanceof OrunError, `expected an OrunError, got ${String(err)}`);
    return err;
  }
  assert.fail("compiling succeeded");
}

describe("policies", () => {
  test("a profile cannot switch off the environment's requireApproval, but may add other policies", async () => {
    const { plan } = await compileRepo(
      baseRepo(
        `environments:
  prod:
    selectors: {components: ["*"]}
    policies: {requireApproval: "true"}
components:
  - {name: net, type: tf, subscribe: {environments: [{name: prod, profile: apply}]}}
`,
        { "comps/tf/compositions.yaml": LOOSE_TF },
      ),
    );
    const policies = job(plan, "net@prod.plan").policies;
    assert.equal(policies?.requireApproval, "true");
    assert.equal(policies?.extra, "x");
  });

  test("a group's requireApproval survives a loosening profile; a profile may still tighten", async () => {
    const { plan } = await compileRepo(
      baseRepo(
        `groups:
  core: {policies: {requireApproval: "yes"}}
environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: net, type: tf, domain: core, subscribe: {environments: [{name: dev, profile: apply}]}}
  - {name: net2, type: tf, subscribe: {environments: [{name: dev, profile: apply}]}}
`,
        { "comps/tf/compositions.yaml": LOOSE_TF },
      ),
    );
    assert.equal(job(plan, "net@dev.plan").policies?.requireApproval, "yes");
    // Nothing above the profile demands approval: the profile's own value stands.
    assert.equal(job(plan, "net2@dev.plan").policies?.requireApproval, "false");
    const tight = await compileRepo(
      baseRepo(
        `environments:
  dev:
    selectors: {components: ["*"]}
    policies: {requireApproval: "false"}
components:
  - {name: net, type: tf, subscribe: {environments: [{name: dev, profile: apply}]}}
`,
        { "comps/tf/compositions.yaml": LOOSE_TF.replace("requireApproval: false", "requireApproval: true") },
      ),
    );
    assert.equal(job(tight.plan, "net@dev.plan").policies?.requireApproval, "true");
  });
});
