import { test } from "node:test";
import assert from "node:assert/strict";
import { load, loadError, repoS } from "./helpers.js";

test("an intent is decoded with defaults for absent collections and origins for every object", async () => {
  const dir = await repoS(`env: {REGION: eu, RETRIES: 3, RATIO: 1.0, DEBUG: true}
groups:
  core:
    policies: {requireApproval: "true"}
    parameterDefaults: {"*": {region: us-east-1}, svc: {replicas: 2}}
automation:
  triggerBindings:
    pr:
      on: {provider: github, event: pull_request, actions: [opened]}
      plan: {scope: changed, base: pull_request.base.sha}
environments:
  prod:
    selectors: {components: ["*"]}
    activation: {triggerRefs: [pr]}
    promotion:
      dependsOn:
        - environment: dev
          satisfy: previous-success
  dev: {}
execution:
  state: {mode: remote, backendUrl: "http://127.0.0.1:8787"}
components:
  - name: a
    type: svc
    domain: core
    subscribe:
      environments: [dev, {name: prod, profile: verify, env: {LEVEL: 2}, parameters: {replicas: 9}}]
`);
  const ws = await load(dir);
  const { intent } = ws;
  assert.deepEqual(intent.env, { REGION: "eu", RETRIES: "3", RATIO: "1.0", DEBUG: "true" });
  assert.deepEqual(Object.keys(intent.environments), ["dev", "prod"], "environments iterate sorted");
  const prod = intent.environments.prod!;
  assert.deepEqual(prod.selectors, { components: ["*"], domains: [] });
  assert.equal(prod.promotion.dependsOn[0]!.satisfy, "previous-success");
  assert.equal(prod.promotion.dependsOn[0]!.strategy, undefined, "defaults are left to normalize");
  assert.equal(prod.origin.file, "intent.yaml");
  assert.equal(prod.origin.line, 17);
  assert.equal(prod.origin.lineOf("promotion.dependsOn[0].satisfy"), 23);
  assert.equal(intent.environments.dev!.origin.line, 24);
  assert.deepEqual(intent.groups.core!.parameterDefaults, { "*": { region: "us-east-1" }, svc: { replicas: 2 } });
  assert.deepEqual(intent.automation.triggerBindings.pr!.on.actions, ["opened"]);
  assert.equal(intent.automation.triggerBindings.pr!.plan.scope, "changed");
  assert.deepEqual(intent.execution.state, { mode: "remote", backendUrl: "http://127.0.0.1:8787" });
  const a = ws.components[0]!;
  assert.equal(a.source, "inline");
  assert.equal(a.path, undefined, "inline components get no default path");
  assert.deepEqual(
    a.subscribe.environments.map((s) => [s.name, s.profile, s.env, s.parameters]),
    [
      ["dev", undefined, {}, {}],
      ["prod", "verify", { LEVEL: "2" }, { replicas: 9 }],
    ],
  );
  assert.equal(a.origin.lineOf("subscribe.environments[1]"), 32);
  assert.deepEqual(JSON.parse(JSON.stringify(a)).origin, undefined, "origins never serialise");
});

test("YAML 1.2 scalars: on/yes stay strings, so `on:` in a trigger binding is a key", async () => {
  const dir = await repoS(`automation:
  triggerBindings:
    push:
      on: {provider: github, event: push, branches: [yes, on, "main"]}
environments: {dev: {env: {FLAG: yes}}}
`);
  const { intent } = await load(dir);
  assert.deepEqual(intent.automation.triggerBindings.push!.on.branches, ["yes", "on", "main"]);
  assert.equal(intent.environments.dev!.env.FLAG, "yes");
});

test("an enum violation names file, line, field and the allowed values", async () => {
  const dir = await repoS(`environments:
  dev: {}
  prod:
    promotion:
      dependsOn:
        - environment: dev
          satisfy: sometimes
`);
  await loadError(
    dir,
    "intent.yaml:12: environments.prod.promotion.dependsOn[0].satisfy: must be one of same-plan, previous-success, same-plan-or-previous-success",
  );
});

test("unknown keys are errors with a did-you-mean hint", async () => {
  const dir = await repoS(`environments:
  dev:
    selecters: {components: ["*"]}
`);
  await loadError(dir, 'intent.yaml:8: environments.dev.selecters: unknown key "selecters" (did you mean `selectors`?)');
  const top = await repoS(`enviroments: {dev: {}}\n`);
  await loadError(top, 'intent.yaml:6: enviroments: unknown key "enviroments" (did you mean `environments`?)');
  const far = await repoS(`zzzzzz: 1\n`);
  await loadError(far, 'unknown key "zzzzzz"; allowed keys: apiVersion, kind, metadata');
});

test("a value of the wrong type names the field and what was found", async () => {
  const dir = await repoS(`discovery: {roots: apps}\n`);
  await loadError(dir, 'intent.yaml:6: discovery.roots: must be a list (got string "apps")');
  const nested = await repoS(`env: {A: {nested: true}}\n`);
  await loadError(nested, "intent.yaml:6: env.A: must be a string, number or boolean (got a mapping)");
});

test("a missing required field is reported at its parent's line", async () => {
  const dir = await repoS(`components:
  - name: a
    subscribe:
      environments:
        - profile: verify
`);
  await loadError(dir, "intent.yaml:7: components[0].type: is required", "intent.yaml:10: components[0].subscribe.environments[0].name: is required");
});

test("several problems are listed together, sorted by line", async () => {
  const dir = await repoS(`environments:
  dev: {polices: {}}
groups:
  core: {paht: x}
`);
  const msg = await loadError(dir);
  const lines = msg.split("\n");
  assert.equal(lines[0], 'intent.yaml:7: environments.dev.polices: unknown key "polices" (did you mean `policies`?)');
  assert.equal(lines[1], '  intent.yaml:9: groups.core.paht: unknown key "paht" (did you mean `path`?)');
});

test("reserved ORUN_ env keys are rejected in every env layer, naming the layer", async () => {
  await loadError(await repoS(`env: {ORUN_X: "1"}\n`), 'intent.yaml:6: env.ORUN_X: intent root env: env key "ORUN_X" uses reserved ORUN_ prefix');
  await loadError(await repoS(`environments: {dev: {env: {orun_token: x}}}\n`), 'environment dev env: env key "orun_token" uses reserved ORUN_ prefix');
  await loadError(
    await repoS(`components: [{name: a, type: svc, env: {ORUN_RUNNER: x}}]\n`),
    'component a root env: env key "ORUN_RUNNER" uses reserved ORUN_ prefix',
  );
  await loadError(
    await repoS(`components: [{name: a, type: svc, subscribe: {environments: [{name: dev, env: {ORUN_Y: x}}]}}]\n`),
    'component a subscription dev env: env key "ORUN_Y" uses reserved ORUN_ prefix',
  );
});

test("promotion dependencies must name another existing environment, without cycles", async () => {
  await loadError(
    await repoS(`environments:\n  dev: {promotion: {dependsOn: [{environment: dev}]}}\n`),
    "intent.yaml:7: environments.dev.promotion.dependsOn[0].environment: environment dev: promotion dependency cannot reference itself",
  );
  await loadError(
    await repoS(`environments:\n  dev: {}\n  prod: {promotion: {dependsOn: [{environment: stagin}]}}\n  staging: {}\n`),
    'environment prod: promotion dependency references non-existent environment "stagin" (did you mean `staging`?)',
  );
  await loadError(await repoS(`environments:\n  dev: {promotion: {dependsOn: [{}]}}\n`), "environments.dev.promotion.dependsOn[0].environment: is required");
  await loadError(
    await repoS(`environments:
  a: {promotion: {dependsOn: [{environment: b}]}}
  b: {promotion: {dependsOn: [{environment: c}]}}
  c: {promotion: {dependsOn: [{environment: a}]}}
`),
    "promotion dependency cycle detected: a → b → c → a",
  );
});

test("a promotion cycle is named from the first sorted root and located at the dependsOn that closes it", async () => {
  // Roots prod, qa, staging: prod → staging; staging's first dependency (qa) is a dead end, its second closes the loop.
  const message = await loadError(
    await repoS(`environments:
  prod:
    promotion:
      dependsOn:
        - environment: staging
  qa: {}
  staging:
    promotion:
      dependsOn:
        - environment: qa
        - environment: prod
`),
  );
  assert.equal(message, "intent.yaml:14: environments.staging.promotion.dependsOn: promotion dependency cycle detected: prod → staging → prod");
  // Of two cycles, the one the search meets first; the declared order of dependencies decides.
  const two = await loadError(
    await repoS(`environments:
  a: {promotion: {dependsOn: [{environment: c}, {environment: b}]}}
  b: {promotion: {dependsOn: [{environment: a}]}}
  c: {promotion: {dependsOn: [{environment: d}]}}
  d: {promotion: {dependsOn: [{environment: c}]}}
`),
  );
  assert.equal(two, "intent.yaml:10: environments.d.promotion.dependsOn: promotion dependency cycle detected: c → d → c");
});

test("activation triggerRefs must name declared trigger bindings", async () => {
  await loadError(
    await repoS(`automation: {triggerBindings: {push-main: {on: {provider: github, event: push}}}}
environments: {dev: {activation: {triggerRefs: [push-mian]}}}
`),
    'intent.yaml:7: environments.dev.activation.triggerRefs[0]: unknown trigger binding "push-mian" (did you mean `push-main`?)',
  );
  await loadError(
    await repoS(`automation: {triggerBindings: {pr: {on: {provider: github, event: push}}}}\nenvironments: {dev: {activation: {triggerRefs: [pr, pr]}}}\n`),
    'intent.yaml:7: environments.dev.activation.triggerRefs[1]: duplicate triggerRef "pr"',
  );
  await loadError(
    await repoS(`automation: {triggerBindings: {pr: {on: {provider: github}}}}\n`),
    "automation.triggerBindings.pr.on.event: is required",
  );
  await loadError(
    await repoS(`automation: {triggerBindings: {pr: {on: {provider: github, event: push}, plan: {scope: partial}}}}\n`),
    "automation.triggerBindings.pr.plan.scope: must be one of full, changed",
  );
});

test("composition source settings are checked where they are written", async () => {
  const base = (sources: string, rest = ""): Promise<string> =>
    repoS("", {
      "intent.yaml": `apiVersion: sourceplane.io/v1\nkind: Intent\nmetadata: {name: t}\ncompositions:\n${sources}${rest}`,
    });
  await loadError(await base("  sources: [{kind: dir, path: ./comps}]\n"), "compositions.sources[0].name: is required");
  await loadError(
    await base("  sources:\n    - {name: a, kind: dir, path: ./comps}\n    - {name: a, kind: dir, path: ./comps}\n"),
    "intent.yaml:7: compositions.sources[1].name: duplicate composition source name: a",
  );
  await loadError(await base("  sources: [{name: a, kind: dir}]\n"), "composition source a kind=dir requires path");
  await loadError(await base("  sources: [{name: a, kind: oci}]\n"), "composition source a kind=oci requires ref");
  await loadError(await base("  sources: [{name: a, kind: git, path: x}]\n"), "compositions.sources[0].kind: must be one of dir, archive, oci");
  await loadError(
    await base("  sources: [{name: a, kind: dir, path: ./comps}]\n  resolution: {precedence: [b]}\n"),
    "compositions.resolution.precedence[0]: composition resolution precedence references unknown source b",
  );
  await loadError(
    await base("  sources: [{name: local, kind: dir, path: ./comps}]\n  resolution: {bindings: {svc: locl}}\n"),
    "composition binding svc references unknown source locl (did you mean `local`?)",
  );
  await loadError(
    await base("  sources: [{name: a, kind: dir, path: ./comps}]\n", "extends: [{source: zz, preset: base}]\n"),
    'extends references unknown composition source "zz"; declared sources: [a]',
  );
  await loadError(await base("  sources: []\n"), "intent does not declare compositions");
});

test("names that would break job IDs are rejected", async () => {
  await loadError(await repoS(`environments: {"prod.eu": {}}\n`), 'environments.prod.eu: invalid name "prod.eu"');
  await loadError(await repoS(`components: [{name: "a@b", type: svc}]\n`), "components[0].name: must start with a letter or digit");
});

test("execution.state.backendUrl must be a URI and mode local|remote", async () => {
  await loadError(await repoS(`execution: {state: {mode: cloud}}\n`), "execution.state.mode: must be one of local, remote");
  await loadError(await repoS(`execution: {state: {backendUrl: "not a url"}}\n`), "execution.state.backendUrl: must be a valid URI");
});
