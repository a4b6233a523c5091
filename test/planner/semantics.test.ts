// Planner semantics found by the planner audit: policies a profile cannot
// loosen, merged parameters validated per instance, job paths kept inside the
// intent root, empty filters refused, step shape and step IDs checked,
// wildcard subscriptions carrying their settings, every composition template
// parsed, YAML merge keys, dependsOn conditions and per-source job registries.
import { promises as fs } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, compileError, compileRepo, HEADER, job, STACK, SVC, writeRepo, type Files } from "./support.js";

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

/** A composition whose parameters need `chart` and type `replicas`. */
const STRICT_SVC = `kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema:
    type: object
    properties:
      parameters:
        type: object
        required: [chart]
        properties:
          chart: {type: string}
          replicas: {type: integer, default: 1}
  jobs:
    - name: deploy
      steps:
        - {name: main-step, run: "echo {{.parameters.chart}} r={{.parameters.replicas}}"}
`;

describe("merged parameters are validated per instance", () => {
  test("a required parameter supplied by an environment's parameterDefaults is accepted; schema defaults still fill in", async () => {
    const { plan } = await compileRepo(
      baseRepo(
        `environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      svc: {chart: from-env}
components:
  - {name: api, type: svc}
`,
        { "comps/svc/compositions.yaml": STRICT_SVC },
      ),
    );
    assert.deepEqual(job(plan, "api@dev.deploy").parameters, { chart: "from-env", replicas: 1 });
    assert.equal(job(plan, "api@dev.deploy").steps[0]!.run, "echo from-env r=1");
  });

  test("an environment default that breaks the schema is refused at its own line", async () => {
    const err = await compileError(
      baseRepo(
        `environments:
  dev:
    selectors: {components: ["*"]}
  prod:
    selectors: {components: ["*"]}
    parameterDefaults:
      "*":
        replicas: many
components:
  - {name: api, type: svc, parameters: {chart: c}}
`,
        { "comps/svc/compositions.yaml": STRICT_SVC },
      ),
    );
    assert.equal(err.location?.file, "intent.yaml");
    assert.equal(err.location?.line, 17);
    assert.match(err.message, /component api failed validation against type svc: parameters\.replicas: must be an integer \(got string "many"\) \(environment prod\)/);
  });

  test("a subscription's parameters and a group's defaults are validated too; a missing required parameter names the environment", async () => {
    const sub = await compileError(
      baseRepo(
        `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - name: api
    type: svc
    parameters: {chart: c}
    subscribe:
      environments:
        - name: dev
          parameters: {replicas: "3"}
`,
        { "comps/svc/compositions.yaml": STRICT_SVC },
      ),
    );
    assert.equal(sub.location?.line, 20);
    assert.match(sub.message, /parameters\.replicas: must be an integer .*\(environment dev\)/);
    const group = await compileError(
      baseRepo(
        `groups:
  core:
    parameterDefaults:
      svc: {replicas: true}
environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc, domain: core, parameters: {chart: c}}
`,
        { "comps/svc/compositions.yaml": STRICT_SVC },
      ),
    );
    assert.equal(group.location?.line, 13);
    const missing = await compileError(
      baseRepo(
        `environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      svc: {chart: c}
  prod:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc}
`,
        { "comps/svc/compositions.yaml": STRICT_SVC },
      ),
    );
    assert.match(missing.message, /component api failed validation against type svc: parameters\.chart: is required \(environment prod\)/);
  });

  test('"*" defaults unknown to a closed schema are ignored (they go to every type); a type-specific unknown key is an error', async () => {
    const closed = STRICT_SVC.replace("required: [chart]", "required: [chart]\n        additionalProperties: false");
    const body = (typeKey: string): string => `environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      "${typeKey}": {lane: dry-run}
components:
  - {name: api, type: svc, parameters: {chart: c}}
`;
    const { plan } = await compileRepo(baseRepo(body("*"), { "comps/svc/compositions.yaml": closed }));
    assert.deepEqual(job(plan, "api@dev.deploy").parameters, { chart: "c", lane: "dry-run", replicas: 1 });
    const err = await compileError(baseRepo(body("svc"), { "comps/svc/compositions.yaml": closed }));
    assert.equal(err.location?.line, 14);
    assert.match(err.message, /parameters\.lane: unknown key "lane"/);
  });
});

describe("job paths stay inside the intent root", () => {
  const withPath = (p: string): Files =>
    baseRepo(`environments:
  dev:
    selectors: {components: ["*"]}
components:
  - name: api
    type: svc
    path: "${p}"
`);

  for (const [p, why] of [
    ["../../..", /leaves the intent root/],
    ["/etc", /is absolute/],
    ["a/../../b", /leaves the intent root/],
    ["~/x", /starts with ~/],
  ] as const) {
    test(`component path ${p} is refused at its line`, async () => {
      const err = await compileError(withPath(p));
      assert.equal(err.location?.file, "intent.yaml");
      assert.equal(err.location?.line, 16);
      assert.match(err.message, why);
      assert.match(err.message, /component api \(environment dev\): job path/);
    });
  }

  test("a path default from parameterDefaults is checked too; a path that only wanders inside is fine", async () => {
    const err = await compileError(
      baseRepo(`environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      "*": {path: "../{{.component}}"}
components:
  - {name: api, type: svc}
`),
    );
    assert.equal(err.location?.line, 14);
    assert.match(err.message, /job path "\.\.\/api" leaves the intent root/);
    const { plan } = await compileRepo(withPath("a/../b"));
    assert.equal(job(plan, "api@dev.deploy").path, "a/../b");
  });
});

describe("a filter that leaves nothing is an error, not an empty plan", () => {
  const SPLIT = `environments:
  dev:
    selectors: {components: ["api"]}
  prod:
    selectors: {components: ["*"]}
  empty:
    selectors: {components: ["nothing-*"]}
components:
  - {name: api, type: svc}
  - {name: net, type: tf, subscribe: {environments: [{name: prod}]}}
`;

  test("--component naming a component that does not apply to the selected environments", async () => {
    const err = await compileError(baseRepo(SPLIT), { envs: ["dev"], components: ["net"] });
    assert.match(err.message, /^--component: no component matched "net"/);
    assert.match(err.message, /available components:\n {2}api\n$/);
    const ok = await compileRepo(baseRepo(SPLIT), { envs: ["prod"], components: ["net"] });
    assert.deepEqual(ok.plan.jobs.map((j) => j.id), ["net@prod.plan"]);
  });

  test("-e selecting only environments without components", async () => {
    const err = await compileError(baseRepo(SPLIT), { envs: ["empty"] });
    assert.match(err.message, /^--env: no component matched in environment empty \(--env "empty"\)/);
    assert.match(err.message, /environments with components:\n {2}dev\n {2}prod\n$/);
  });

  test("orun plan exits 1 and keeps the latest plan", async () => {
    const dir = await writeRepo(baseRepo(SPLIT));
    const first = await runOrun(["plan"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const latest = path.join(dir, ".orun", "plans", "latest.json");
    const before = await fs.readFile(latest, "utf8");
    const plans = await fs.readdir(path.dirname(latest));
    const r = await runOrun(["plan", "-e", "dev", "--component", "net"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no component matched "net"/);
    assert.equal(await fs.readFile(latest, "utf8"), before);
    assert.deepEqual(await fs.readdir(path.dirname(latest)), plans);
  });
});

describe("a step has exactly one of run and use", () => {
  const composition = (steps: string): string => `kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps:
        - {name: ok, run: echo ok}
${steps}`;
  const body = `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc}
`;

  test("a composition step with both is refused at its line, naming the step", async () => {
    const err = await compileError(baseRepo(body, { "comps/svc/compositions.yaml": composition("        - {name: both, run: echo, use: actions/checkout@v4}\n") }));
    assert.equal(err.location?.file, "comps/svc/compositions.yaml");
    assert.equal(err.location?.line, 11);
    assert.match(err.message, /step "both" has both run and use/);
  });

  test("a composition step with neither is refused; so is a component override step", async () => {
    const err = await compileError(baseRepo(body, { "comps/svc/compositions.yaml": composition("        - shell: bash\n          env: {A: b}\n") }));
    assert.equal(err.location?.line, 11);
    assert.match(err.message, /step #2 has neither run nor use/);
    const override = await compileError(
      baseRepo(`environments:
  dev:
    selectors: {components: ["*"]}
components:
  - name: api
    type: svc
    overrides:
      steps:
        - {name: extra, env: {A: b}}
`),
    );
    assert.equal(override.location?.file, "intent.yaml");
    assert.equal(override.location?.line, 18);
    assert.match(override.message, /step "extra" has neither run nor use/);
  });
});

describe("step IDs are unique in a job", () => {
  const body = (overrides: string): string => `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - name: api
    type: svc
    overrides:
      steps:
${overrides}`;
  const composition = `kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps:
        - {run: echo 1}
        - {run: echo 2}
        - {name: step-4, run: echo named}
        - {run: echo 4}
        - {id: a, name: same, run: echo a}
`;

  test("a generated ID never takes a step's name (step-4 named, the 4th step unnamed)", async () => {
    const { plan } = await compileRepo(baseRepo(body("        - {name: extra, run: echo extra}\n"), { "comps/svc/compositions.yaml": composition }));
    const ids = job(plan, "api@dev.deploy").steps.map((s) => s.id);
    assert.deepEqual(ids, ["step-1", "step-2", "step-4", "step-4-2", "same", "extra"]);
  });

  test("two steps with one name in a job are an error naming the job and step", async () => {
    const twice = await compileError(baseRepo(body("        - {name: extra, run: echo 1}\n        - {name: extra, run: echo 2}\n"), { "comps/svc/compositions.yaml": composition }));
    assert.equal(twice.location?.file, "intent.yaml");
    assert.equal(twice.location?.line, 19);
    assert.match(twice.message, /component api overrides step "extra" twice/);
    const named = await compileError(
      baseRepo(body("        - {name: extra, run: echo 1}\n"), { "comps/svc/compositions.yaml": `${composition}        - {id: b, name: same, run: echo b}\n` }),
    );
    assert.equal(named.location?.file, "comps/svc/compositions.yaml");
    assert.equal(named.location?.line, 15);
    assert.match(named.message, /job api@dev\.deploy: duplicate step ID "same" in job api@dev\.deploy \(first at comps\/svc\/compositions\.yaml:14\)/);
  });
});

describe("wildcard subscriptions carry their settings", () => {
  test("a pattern's profile, parameters and env apply where it matches; an exact entry wins, then the longest prefix", async () => {
    const { plan } = await compileRepo(
      baseRepo(`environments:
  dev: {selectors: {components: ["*"]}}
  prod-us: {selectors: {components: ["*"]}}
  prod-eu: {selectors: {components: ["*"]}}
components:
  - name: net
    type: tf
    subscribe:
      environments:
        - {name: "*", env: {FROM: star}}
        - {name: "prod-*", profile: apply, parameters: {tier: prod}, env: {FROM: prod-star}}
        - {name: prod-eu, env: {FROM: exact}}
`),
    );
    const devPlan = job(plan, "net@dev.plan");
    assert.equal(devPlan.profile, "tf.verify");
    assert.equal(devPlan.env?.FROM, "star");
    const us = job(plan, "net@prod-us.plan");
    assert.equal(us.profile, "tf.apply");
    assert.equal(us.profileSource, "subscription");
    assert.deepEqual(us.parameters, { tier: "prod" });
    assert.equal(us.env?.FROM, "prod-star");
    assert.ok(plan.jobs.some((j) => j.id === "net@prod-us.drift"), "the apply profile's jobs");
    const eu = job(plan, "net@prod-eu.plan");
    assert.equal(eu.profile, "tf.verify");
    assert.equal(eu.env?.FROM, "exact");
    assert.equal(eu.parameters, undefined);
  });
});

describe("every step template is parsed, selected or not", () => {
  const body = `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc}
`;
  const tf = (plan: string, override = ""): string => `kind: Composition
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
        - name: apply
          capability: tf.apply
          run: "${plan}"
  executionProfiles:
    verify: {jobs: {plan: {includeCapabilities: [tf.init]${override}}}}
`;

  test("a syntax error in a step no component selects is reported with file, line, job, step and field", async () => {
    const err = await compileError(baseRepo(body, { "comps/tf/compositions.yaml": tf("echo {{ if .parameters.x }}") }));
    assert.equal(err.location?.file, "comps/tf/compositions.yaml");
    assert.equal(err.location?.line, 14);
    assert.match(err.message, /invalid step template: composition tf job plan step apply \(run\): template: tf:apply:run:1:26: unexpected "}}"/);
  });

  test("profile stepOverrides are parsed too; valid templates pass", async () => {
    const err = await compileError(baseRepo(body, { "comps/tf/compositions.yaml": tf("echo ok", ", stepOverrides: {apply: {run: 'echo {{ .x '}}") }));
    assert.equal(err.location?.file, "comps/tf/compositions.yaml");
    assert.match(err.message, /composition tf profile verify job plan step apply \(run\)/);
    const { plan } = await compileRepo(baseRepo(body, { "comps/tf/compositions.yaml": tf("echo {{ .parameters.x }}") }));
    assert.deepEqual(plan.jobs.map((j) => j.id), ["api@dev.deploy"]);
  });
});

describe("YAML merge keys", () => {
  test("<<: *anchor merges a map (explicit keys win); unknown keys brought in are still errors at the anchor's line", async () => {
    const { plan } = await compileRepo(
      baseRepo(`environments:
  base: &common
    selectors: {components: ["*"]}
    env: {TIER: base, SHARED: "1"}
  dev:
    <<: *common
    env: {TIER: dev}
components:
  - {name: api, type: svc}
`),
    );
    assert.deepEqual(
      plan.jobs.map((j) => `${j.id} ${j.env?.TIER ?? ""}`),
      ["api@base.deploy base", "api@dev.deploy dev"],
    );
    const err = await compileError(
      baseRepo(`environments:
  dev: &dev
    selectors: {components: ["*"]}
    selectorz: {}
  prod:
    <<: *dev
components:
  - {name: api, type: svc}
`),
    );
    assert.equal(err.location?.line, 13);
    assert.match(err.message, /unknown key "selectorz"/);
  });
});

describe("dependsOn condition and scope", () => {
  const body = (dep: string): string => `environments:
  dev: {selectors: {components: ["*"]}}
  prod: {selectors: {components: ["*"]}}
components:
  - {name: db, type: svc}
  - name: api
    type: svc
    dependsOn:
      - {component: db, ${dep}}
`;

  test("condition always/failure is refused at its line (orun only runs a job after its dependencies succeed)", async () => {
    for (const condition of ["always", "failure"]) {
      const err = await compileError(baseRepo(body(`condition: ${condition}`)));
      assert.equal(err.location?.file, "intent.yaml");
      assert.equal(err.location?.line, 18);
      assert.match(err.message, new RegExp(`components\\[1\\]\\.dependsOn\\[0\\]\\.condition: must be one of success \\(got "${condition}"\\)`));
    }
    const { plan } = await compileRepo(baseRepo(body("condition: success")));
    assert.deepEqual(job(plan, "api@dev.deploy").dependsOn, ["db@dev.deploy"]);
  });

  test("environment decides the edge whatever scope says (spec 11: scope is defaulted, otherwise unused), as in v2.3", async () => {
    const { plan } = await compileRepo(baseRepo(body("scope: cross-environment, environment: dev")));
    assert.deepEqual(job(plan, "api@prod.deploy").dependsOn, ["db@dev.deploy"]);
    const same = await compileRepo(baseRepo(body("scope: same-environment, environment: dev")));
    assert.deepEqual(job(same.plan, "api@prod.deploy").dependsOn, ["db@dev.deploy"], "an explicit environment wins");
    const cross = await compileRepo(baseRepo(body("scope: cross-environment")));
    assert.deepEqual(job(cross.plan, "api@prod.deploy").dependsOn, ["db@prod.deploy"], "no environment: the same one");
  });
});

describe("jobRegistry follows the composition a component is bound to", () => {
  test("a compositionRef to another source gives that source's package (spec 10 case 34)", async () => {
    const { plan } = await compileRepo({
      "intent.yaml": `${HEADER.replace(/ {4}- name: local\n {6}kind: dir\n {6}path: \.\/comps\n/, "    - {name: core, kind: dir, path: ./core}\n    - {name: overrides, kind: dir, path: ./over}\n")}  resolution: {bindings: {svc: core}}
environments:
  dev: {selectors: {components: ["*"]}}
components:
  - {name: a, type: svc}
  - {name: api, type: svc, compositionRef: {source: overrides, name: svc}}
`,
      "core/stack.yaml": STACK.replace("test-stack", "core-stack"),
      "core/svc/compositions.yaml": SVC,
      "over/stack.yaml": STACK.replace("test-stack", "over-stack"),
      "over/svc/compositions.yaml": SVC.replace("defaultJob: deploy", "defaultJob: other"),
    });
    assert.deepEqual(plan.spec.jobBindings, { svc: "core-stack" });
    assert.equal(job(plan, "a@dev.deploy").jobRegistry, "core-stack");
    assert.equal(job(plan, "api@dev.other").jobRegistry, "over-stack");
  });
});

describe("review follow-ups: schema path defaults and components in no environment", () => {
  const withPathDefault = (dflt: string) =>
    SVC.replace("          replicas:\n            type: integer\n            default: 1", `          replicas:\n            type: integer\n            default: 1\n          path:\n            type: string\n            default: ${dflt}`);

  test("a schema default for path is the job's path when no layer sets one (and is not a parameter); a layer still wins", async () => {
    const body = `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc}
  - {name: web, type: svc, parameters: {path: services/web}}
`;
    const { plan } = await compileRepo(baseRepo(body, { "comps/svc/compositions.yaml": withPathDefault("services/default") }));
    const api = plan.jobs.find((j) => j.id.startsWith("api@"))!;
    const web = plan.jobs.find((j) => j.id.startsWith("web@"))!;
    assert.equal(api.path, "services/default");
    assert.equal((api.parameters as Record<string, unknown> | undefined)?.path, undefined);
    assert.equal(web.path, "services/web");
    const err = await compileError(baseRepo(body.replace("parameters: {path: services/web}", "parameters: {replicas: 2}"), { "comps/svc/compositions.yaml": withPathDefault("../outside") }));
    assert.match(err.message, /job path "\.\.\/outside" leaves the intent root/);
  });

  test("a component that applies to no environment still has its own parameters validated", async () => {
    const body = `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - {name: api, type: svc}
  - {name: lonely, type: svc, parameters: {replicas: "many"}, subscribe: {environments: [prod]}}
`;
    const err = await compileError(baseRepo(body));
    assert.match(err.message, /component lonely failed validation against type svc: parameters\.replicas/);
  });
});
