// Conformance cases of the planner spec (10-planner §5, 12-planner §7) compiled
// in-process from real files in temp dirs with the real loader. Expected values
// are worked out from the spec (adapted where a product decision changes v2.3:
// `component@env.job` IDs, missing template keys are errors, enabled:false
// removes a component, --component pulls in dependencies).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { baseRepo, cleanupRepos, compileRepo, edges, job, jobIds, THREE_ENVS } from "./support.js";

after(cleanupRepos);

const MERGE = `discovery:
  roots: [apps]
env:
  REGION: root-region
  SHARED: root
groups:
  core:
    parameterDefaults:
      "*":
        namespace: "grp-{{.environment}}"
        level: group-star
        path: "grp/{{.component}}"
      svc:
        level: group-type
environments:
  dev:
    env:
      REGION: dev-region
    parameterDefaults:
      "*":
        level: env-star
        envonly: x
        path: envpath
      svc:
        level: env-type
    selectors:
      components: ["*"]
  prod:
    selectors:
      components: ["inline-*"]
    parameterDefaults:
      "*":
        level: env-star
components:
  - name: inline-a
    type: svc
    domain: core
    parameters:
      replicas: 3
      leftover: "  keep {{ .Values.x }} this  "
  - name: inline-b
    type: svc
    parameters:
      replicas: 1
    subscribe:
      environments:
        - name: prod
          parameters:
            replicas: 9
          env:
            SUBENV: "yes"
        - dev
    dependsOn:
      - component: inline-a
`;

describe("parameters, paths and env (spec 10 §5 case 8)", () => {
  test("six parameter layers, path defaults and the 4-layer env merge", async () => {
    const { plan } = await compileRepo(baseRepo(MERGE, { "apps/.keep": "" }));
    assert.deepEqual(jobIds(plan), ["inline-a@dev.deploy", "inline-a@prod.deploy", "inline-b@dev.deploy", "inline-b@prod.deploy"]);
    const aDev = job(plan, "inline-a@dev.deploy");
    assert.equal(aDev.path, "grp/inline-a");
    assert.deepEqual(aDev.parameters, { envonly: "x", leftover: "keep  this", level: "group-type", namespace: "grp-dev", replicas: 3 });
    assert.deepEqual(aDev.env, { REGION: "dev-region", SHARED: "root" });
    const aProd = job(plan, "inline-a@prod.deploy");
    assert.deepEqual(aProd.parameters, { leftover: "keep  this", level: "group-type", namespace: "grp-prod", replicas: 3 });
    assert.deepEqual(aProd.env, { REGION: "root-region", SHARED: "root" });
    const bDev = job(plan, "inline-b@dev.deploy");
    assert.equal(bDev.path, "envpath");
    assert.deepEqual(bDev.parameters, { envonly: "x", level: "env-type", replicas: 1 });
    assert.deepEqual(bDev.dependsOn, ["inline-a@dev.deploy"]);
    const bProd = job(plan, "inline-b@prod.deploy");
    assert.equal(bProd.path, "./");
    assert.deepEqual(bProd.parameters, { level: "env-star", replicas: 9 });
    assert.deepEqual(bProd.env, { REGION: "root-region", SHARED: "root", SUBENV: "yes" });
    assert.deepEqual(bProd.dependsOn, ["inline-a@prod.deploy"]);
  });

  test("steps: phase then order then declaration; plan step id = step name; `with` strings rendered (case 9)", async () => {
    const { plan } = await compileRepo(baseRepo(MERGE, { "apps/.keep": "" }));
    const a = job(plan, "inline-a@dev.deploy");
    assert.deepEqual(a.steps.map((s) => `${s.id}/${s.phase}/${s.order ?? 0}`), ["pre-a/pre/1", "pre-b/pre/2", "main-step/main/0", "post-step/post/0"]);
    assert.deepEqual(a.steps[0]!.with, { num: 5, tmpl: "inline-a@dev.deploy" });
    assert.equal(a.steps[2]!.run, "echo deploy inline-a to dev r=3");
    assert.ok(plan.jobs.every((j) => j.name === "deploy"), "the non-default job `other` is never planned");
    assert.equal(a.runsOn, "ubuntu-latest");
    assert.equal(a.timeout, "10m");
    assert.equal(a.retries, 2);
  });

  test("component overrides replace a step by name in place and append new ones (case 10; 12 §7 case 29)", async () => {
    const body = `${THREE_ENVS}components:
  - name: b
    type: svc
    overrides:
      steps:
        - name: main-step
          run: "echo overridden {{.orun.job.name}}"
        - name: extra
          phase: pre
          run: echo extra
        - phase: post
          run: echo anonymous
`;
    const { plan } = await compileRepo(baseRepo(body), { envs: ["dev"] });
    const b = job(plan, "b@dev.deploy");
    assert.deepEqual(b.steps.map((s) => s.id), ["extra", "pre-a", "pre-b", "main-step", "post-step", "step-6"]);
    assert.equal(b.steps[3]!.run, "echo overridden deploy");
    assert.equal(b.steps[5]!.name, undefined, "an unnamed step gets step-<n> and no name");
  });

  test("schema defaults fill parameters the component leaves out", async () => {
    const { plan } = await compileRepo(baseRepo(`${THREE_ENVS}components:\n  - name: a\n    type: svc\n`), { envs: ["dev"] });
    const a = job(plan, "a@dev.deploy");
    assert.deepEqual(a.parameters, { replicas: 1 });
    assert.equal(a.steps.find((s) => s.id === "main-step")!.run, "echo deploy a to dev r=1");
  });

  test("env values interpolate {{ .environment }} and {{ .component }}; precedence root < environment < component < subscription (12 §7 cases 10, 12)", async () => {
    const body = `env:
  VAR: intent-root
  NAME: "{{ .environment }}-{{ .component }}"
environments:
  staging:
    env:
      VAR: environment
components:
  - name: plain
    type: svc
    subscribe: { environments: [staging] }
  - name: comp-root
    type: svc
    env: { VAR: component-root }
    subscribe: { environments: [staging] }
  - name: sub
    type: svc
    env: { VAR: component-root }
    subscribe:
      environments:
        - name: staging
          env: { VAR: subscription }
`;
    const { plan } = await compileRepo(baseRepo(body));
    assert.deepEqual(job(plan, "plain@staging.deploy").env, { NAME: "staging-plain", VAR: "environment" });
    assert.equal(job(plan, "comp-root@staging.deploy").env!.VAR, "component-root");
    assert.equal(job(plan, "sub@staging.deploy").env!.VAR, "subscription");
  });

  test("a discovered manifest's path and parameters interpolate legacy keys; nested values stay as written (case 29)", async () => {
    const manifest = `apiVersion: sourceplane.io/v1
kind: Component
metadata:
  name: x
spec:
  type: svc
  path: "custom/{{.component}}-{{ .environment }}-{{.group}}"
  env:
    FROM_MANIFEST: kept
  parameters:
    chartDir: "{{.component}}/chart"
    list: ["{{.component}}"]
`;
    const { plan } = await compileRepo(baseRepo(`discovery:\n  roots: [apps]\n${THREE_ENVS}`, { "apps/x/component.yaml": manifest }), { envs: ["dev"] });
    const x = job(plan, "x@dev.deploy");
    assert.equal(x.path, "custom/x-dev-");
    assert.deepEqual(x.parameters, { chartDir: "x/chart", list: ["{{.component}}"], replicas: 1 });
    // decision 5: discovered components keep spec.env (v2.3 dropped it)
    assert.deepEqual(x.env, { FROM_MANIFEST: "kept" });
  });

  test("a discovered manifest without a path runs in its own directory", async () => {
    const manifest = "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: y\nspec:\n  type: svc\n";
    const { plan } = await compileRepo(baseRepo(`discovery:\n  roots: [services]\n${THREE_ENVS}`, { "services/api/y/component.yaml": manifest }), { envs: ["dev"] });
    assert.equal(job(plan, "y@dev.deploy").path, "services/api/y");
  });
});

describe("templates (spec 10 §5 case 30, decision 4)", () => {
  test("values print like Go; if/range/printf/index/len/eq/with work; ${{ }} passes through", async () => {
    const body = `${THREE_ENVS}components:
  - name: a
    type: svc
    parameters:
      replicas: 3
      i: 3
      f: 1.5
      b: true
      l: [x, 2]
      m: { k: v }
    overrides:
      steps:
        - name: main-step
          run: "int={{.parameters.i}} float={{.parameters.f}} bool={{.parameters.b}} list={{.parameters.l}} map={{.parameters.m}}"
        - name: control
          run: '{{- if .parameters.b }} yes {{- else }} no {{- end }}|{{ range .parameters.l }}[{{.}}]{{ end }}|{{ printf "%s-%d" .orun.component.name .parameters.i }}|{{ index .parameters.m "k" }}|{{ len .parameters.l }}|{{ eq .orun.environment.name "dev" }}|{{/* c */}}|{{ with .parameters.m }}{{.k}}{{end}}'
        - name: gha
          run: "echo \${{ github.sha }} {{ .orun.component.name }}"
          env:
            TOKEN: "\${{ secrets.TOKEN }}"
            WHO: "{{ .orun.profile.name }}|{{ .orun.composition.type }}|{{ .orun.component.type }}|{{ .orun.component.domain }}"
`;
    const { plan } = await compileRepo(baseRepo(body), { envs: ["dev"] });
    const a = job(plan, "a@dev.deploy");
    const run = (id: string): string | undefined => a.steps.find((s) => s.id === id)?.run;
    assert.equal(run("main-step"), "int=3 float=1.5 bool=true list=[x 2] map=map[k:v]");
    assert.equal(run("control"), " yes|[x][2]|a-3|v|2|true||v");
    assert.equal(run("gha"), "echo ${{ github.sha }} a");
    assert.deepEqual(a.steps.find((s) => s.id === "gha")!.env, { TOKEN: "${{ secrets.TOKEN }}", WHO: "|svc|svc|" });
  });

  test("templates are rendered per component: overrides of one never leak into another (decision 5)", async () => {
    const body = `${THREE_ENVS}components:
  - name: a
    type: svc
    overrides:
      steps:
        - name: main-step
          run: "echo A-only {{ .orun.component.name }}"
  - name: b
    type: svc
`;
    const { plan } = await compileRepo(baseRepo(body), { envs: ["dev"] });
    assert.equal(job(plan, "a@dev.deploy").steps.find((s) => s.id === "main-step")!.run, "echo A-only a");
    assert.equal(job(plan, "b@dev.deploy").steps.find((s) => s.id === "main-step")!.run, "echo deploy b to dev r=1");
  });
});

const PROFILES = `environments:
  dev: {}
  staging:
    promotion:
      dependsOn:
        - environment: dev
  prod:
    promotion:
      dependsOn:
        - environment: staging
          strategy: environment-barrier
components:
  - name: net
    type: tf
    subscribe:
      environments:
        - name: dev
          profile: verify
        - staging
        - name: prod
          profile: tf.apply
  - name: app
    type: svc
    subscribe:
      environments: [dev, staging, prod]
    dependsOn:
      - component: net
`;

describe("profiles and promotion (spec 10 §5 cases 20, 22)", () => {
  test("profiles select jobs and steps; promotion compiles into edges when both environments are planned", async () => {
    const { plan } = await compileRepo(baseRepo(PROFILES));
    assert.deepEqual(jobIds(plan), ["app@dev.deploy", "app@prod.deploy", "app@staging.deploy", "net@dev.plan", "net@prod.drift", "net@prod.plan", "net@staging.plan"]);
    const netDev = job(plan, "net@dev.plan");
    assert.equal(netDev.profile, "tf.verify");
    assert.equal(netDev.profileSource, "subscription");
    assert.deepEqual(netDev.steps.map((s) => s.id), ["init", "plan", "always"]);
    const netStaging = job(plan, "net@staging.plan");
    assert.equal(netStaging.profile, "tf.verify");
    assert.equal(netStaging.profileSource, "composition-default");
    const netProd = job(plan, "net@prod.plan");
    assert.equal(netProd.profile, "tf.apply");
    assert.deepEqual(netProd.steps.map((s) => [s.id, s.run]), [
      ["init", "terraform init"],
      ["apply", "terraform apply -auto-approve"],
    ]);
    assert.equal(job(plan, "net@prod.drift").steps[0]!.run, "echo drift apply");
    assert.deepEqual(netProd.policies, { requireApproval: "true" }, "profile policies reach the job");
    assert.deepEqual(edges(plan), [
      "app@dev.deploy -> net@dev.plan",
      "app@prod.deploy -> app@staging.deploy",
      "app@prod.deploy -> net@prod.drift",
      "app@prod.deploy -> net@prod.plan",
      "app@prod.deploy -> net@staging.plan",
      "app@staging.deploy -> app@dev.deploy",
      "app@staging.deploy -> net@staging.plan",
      "net@prod.drift -> app@staging.deploy",
      "net@prod.drift -> net@staging.plan",
      "net@prod.plan -> app@staging.deploy",
      "net@prod.plan -> net@staging.plan",
      "net@staging.plan -> net@dev.plan",
    ]);
    assert.ok(plan.jobs.every((j) => !j.gates));
  });

  test("planning only prod turns promotion into gates on every prod job", async () => {
    const { plan } = await compileRepo(baseRepo(PROFILES), { envs: ["prod"] });
    assert.deepEqual(jobIds(plan), ["app@prod.deploy", "net@prod.drift", "net@prod.plan"]);
    assert.deepEqual(job(plan, "app@prod.deploy").dependsOn, ["net@prod.drift", "net@prod.plan"]);
    for (const j of plan.jobs) {
      assert.deepEqual(j.gates, [{ type: "environment-promotion", environment: "staging", component: j.component, condition: "success", match: { revision: "source" } }]);
    }
  });

  test("a composition without profiles ignores a subscription profile (case 27)", async () => {
    const body = `environments:\n  dev: {}\ncomponents:\n  - name: a\n    type: svc\n    subscribe:\n      environments:\n        - name: dev\n          profile: whatever\n`;
    const { plan } = await compileRepo(baseRepo(body));
    assert.equal(job(plan, "a@dev.deploy").profileSource, "legacy-none");
    assert.equal(job(plan, "a@dev.deploy").profile, undefined);
  });
});

function promotionRepo(promotion: string, components = "  - name: web\n    type: svc\n  - name: api\n    type: svc\n"): ReturnType<typeof baseRepo> {
  return baseRepo(`environments:
  dev:
    selectors:
      components: ["*"]
  staging:
    selectors:
      components: ["*"]
  prod:
    selectors:
      components: ["*"]
${promotion}components:
${components}`);
}

describe("environment promotion (12 §7 cases 19–25)", () => {
  test("same-component: each job waits for its own component in the upstream environment", async () => {
    const { plan } = await compileRepo(promotionRepo("    promotion:\n      dependsOn:\n        - environment: dev\n".replace(/^/, "")), { envs: ["dev", "prod"] });
    assert.deepEqual(edges(plan), ["api@prod.deploy -> api@dev.deploy", "web@prod.deploy -> web@dev.deploy"]);
    assert.ok(plan.jobs.every((j) => !j.gates));
  });

  test("environment-barrier: every job waits for every job of the upstream environment", async () => {
    const { plan } = await compileRepo(promotionRepo("    promotion:\n      dependsOn:\n        - environment: dev\n          strategy: environment-barrier\n          satisfy: same-plan\n"), {
      envs: ["dev", "prod"],
    });
    assert.deepEqual(job(plan, "web@prod.deploy").dependsOn, ["api@dev.deploy", "web@dev.deploy"]);
    assert.deepEqual(job(plan, "api@prod.deploy").dependsOn, ["api@dev.deploy", "web@dev.deploy"]);
  });

  test("chained promotion dev → staging → prod links each step to the previous only", async () => {
    const repo = baseRepo(`environments:
  dev:
    selectors: { components: ["*"] }
  staging:
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: dev, satisfy: same-plan }] }
  prod:
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: staging, satisfy: same-plan }] }
components:
  - name: web
    type: svc
`);
    const { plan } = await compileRepo(repo);
    assert.deepEqual(edges(plan), ["web@prod.deploy -> web@staging.deploy", "web@staging.deploy -> web@dev.deploy"]);
    assert.deepEqual(plan.jobs.map((j) => j.id), ["web@dev.deploy", "web@staging.deploy", "web@prod.deploy"]);
  });

  test("a component missing from the upstream environment gets no edge and no error", async () => {
    const repo = baseRepo(`environments:
  dev: {}
  staging:
    promotion: { dependsOn: [{ environment: dev }] }
components:
  - name: web
    type: svc
    subscribe: { environments: [dev] }
  - name: api
    type: svc
    subscribe: { environments: [staging] }
`);
    const { plan } = await compileRepo(repo);
    assert.equal(job(plan, "api@staging.deploy").dependsOn, undefined);
    assert.equal(job(plan, "api@staging.deploy").gates, undefined);
  });

  test("no gate for a component that never runs in the upstream environment", async () => {
    const repo = baseRepo(`environments:
  staging: {}
  prod:
    promotion: { dependsOn: [{ environment: staging }] }
components:
  - name: web
    type: svc
    subscribe: { environments: [staging, prod] }
  - name: prod-only
    type: svc
    subscribe: { environments: [prod] }
`);
    const { plan } = await compileRepo(repo, { envs: ["prod"] });
    assert.equal(job(plan, "prod-only@prod.deploy").gates, undefined);
    assert.deepEqual(job(plan, "web@prod.deploy").gates?.map((g) => `${g.component}@${g.environment}`), ["web@staging"]);
  });

  test("satisfy previous-success always gates, even with the upstream environment in the plan (case 25, documented behaviour)", async () => {
    const promotion = "    promotion:\n      dependsOn:\n        - environment: dev\n          satisfy: previous-success\n";
    const full = await compileRepo(promotionRepo(promotion, "  - name: a\n    type: svc\n"), { envs: ["dev", "prod"] });
    const a = job(full.plan, "a@prod.deploy");
    assert.equal(a.dependsOn, undefined);
    assert.deepEqual(a.gates, [{ type: "environment-promotion", environment: "dev", component: "a", condition: "success", match: { revision: "source" } }]);
    const only = await compileRepo(promotionRepo(promotion, "  - name: a\n    type: svc\n"), { envs: ["prod"] });
    assert.equal(job(only.plan, "a@prod.deploy").gates?.length, 1);
  });
});

describe("selection and filters", () => {
  test("subscriptions, component selectors and domain selectors (case 28)", async () => {
    const repo = baseRepo(`environments:
  all:
    selectors: { components: ["*"] }
  pfx:
    selectors: { components: ["api-*"] }
  dom:
    selectors: { components: ["*"], domains: [core] }
  domonly:
    selectors: { domains: [core] }
  none: {}
components:
  - { name: api-1, type: svc, domain: core }
  - { name: api-2, type: svc }
  - { name: web, type: svc, domain: core }
  - name: sub
    type: svc
    domain: edge
    subscribe:
      environments: [dom, none, "a*"]
`);
    const { plan, stats, warnings } = await compileRepo(repo);
    assert.deepEqual(jobIds(plan), [
      "api-1@all.deploy",
      "api-1@dom.deploy",
      "api-1@pfx.deploy",
      "api-2@all.deploy",
      "api-2@pfx.deploy",
      "sub@all.deploy",
      "sub@none.deploy",
      "web@all.deploy",
      "web@dom.deploy",
    ]);
    assert.equal(stats.environments.length, 5, "environments without jobs still count");
    assert.deepEqual(warnings, []);
  });

  test("a subscription matching no environment is reported as a warning", async () => {
    const { warnings } = await compileRepo(baseRepo(`environments:\n  dev: {}\n  prod: {}\ncomponents:\n  - name: a\n    type: svc\n    subscribe:\n      environments: [dev, prdo, "qa-*"]\n`));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /component a subscribes to "prdo", which matches no environment \(did you mean `prod`\?\)$/);
    assert.match(warnings[1]!, /component a subscribes to "qa-\*", which matches no environment$/);
  });

  test("a component that applies to no environment is reported as a warning", async () => {
    const { warnings, plan } = await compileRepo(baseRepo(`environments:\n  dev: {}\ncomponents:\n  - name: a\n    type: svc\n    subscribe:\n      environments: [dev]\n  - name: lonely\n    type: svc\n`));
    assert.deepEqual(jobIds(plan), ["a@dev.deploy"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^intent\.yaml:\d+: component lonely applies to no environment/);
  });

  test("enabled: false removes the component (decision 5)", async () => {
    const { plan, stats } = await compileRepo(baseRepo(`${THREE_ENVS}components:\n  - name: a\n    type: svc\n    enabled: false\n  - name: b\n    type: svc\n`));
    assert.deepEqual(jobIds(plan), ["b@dev.deploy", "b@prod.deploy", "b@staging.deploy"]);
    assert.deepEqual(stats.components, ["b"]);
  });

  test("--env accepts comma lists and prefix* patterns", async () => {
    const { plan } = await compileRepo(baseRepo(`${THREE_ENVS}components:\n  - name: a\n    type: svc\n`), { envs: ["pr*, dev"] });
    assert.deepEqual(jobIds(plan), ["a@dev.deploy", "a@prod.deploy"]);
  });

  test("--component pulls in transitive dependencies across environments (decision 5, case 19/32)", async () => {
    const body = `${THREE_ENVS}components:
  - name: db
    type: svc
    subscribe: { environments: [dev] }
  - name: api
    type: svc
    dependsOn:
      - component: db
        environment: dev
  - name: web
    type: svc
    dependsOn: [{ component: api }]
  - name: other
    type: svc
`;
    const { plan, stats } = await compileRepo(baseRepo(body), { components: ["web"] });
    assert.deepEqual(stats.components, ["api", "db", "web"]);
    assert.deepEqual(job(plan, "api@prod.deploy").dependsOn, ["db@dev.deploy"], "a cross-environment dependency");
    assert.deepEqual(job(plan, "api@staging.deploy").dependsOn, ["db@dev.deploy"]);
    assert.deepEqual(job(plan, "web@staging.deploy").dependsOn, ["api@staging.deploy"]);
    assert.equal(plan.jobs.length, 7);
  });
});

describe("policies", () => {
  test("group, then environment, then execution profile policies are merged onto each job", async () => {
    const body = `groups:
  platform:
    policies:
      requireApproval: "false"
      team: platform
environments:
  prod:
    policies:
      requireApproval: "true"
      window: weekdays
components:
  - name: net
    type: tf
    domain: platform
    subscribe:
      environments:
        - name: prod
          profile: apply
  - name: app
    type: svc
    domain: platform
    subscribe: { environments: [prod] }
`;
    const { plan } = await compileRepo(baseRepo(body));
    assert.deepEqual(job(plan, "app@prod.deploy").policies, { requireApproval: "true", team: "platform", window: "weekdays" });
    assert.deepEqual(job(plan, "net@prod.plan").policies, { requireApproval: "true", team: "platform", window: "weekdays" });
  });
});
