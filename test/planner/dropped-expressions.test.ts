// Parameter and env values are not templates (v2.3): {{.environment}},
// {{.component}} and {{.group}} are substituted and every other {{…}} is
// removed. The plan keeps that behaviour; a warning now names each value that
// lost an expression, where it was written — it used to vanish silently.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { baseRepo, cleanupRepos, compileRepo, DEV_API, job, SVC } from "./support.js";

after(cleanupRepos);

const BODY = `env:
  ROOT: "{{ .orun.plan.name }}"
environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      "*": {zone: "{{ .Values.zone }}-{{.environment}}"}
components:
  - name: api
    type: svc
    env: {GH: "\${{ github.sha }}", PLAIN: "{{ .component }}"}
    parameters:
      bucket: "{{ .orun.component.name }}-assets"
      kept: "{{.component}}-{{.environment}}-{{ .group }}"
      nested: {inner: "{{ .x }}"}
`;

test("a value that loses a {{…}} expression is kept as v2.3 compiles it, with a warning naming file, line and field", async () => {
  const result = await compileRepo(baseRepo(BODY));
  const api = job(result.plan, "api@dev.deploy");
  // The plan is unchanged: v2.3's interpolation.
  assert.equal(api.env?.ROOT, "");
  assert.equal(api.env?.GH, "${{ github.sha }}");
  assert.equal(api.env?.PLAIN, "api");
  assert.equal((api as { parameters?: Record<string, unknown> }).parameters?.bucket, "-assets");
  assert.equal((api as { parameters?: Record<string, unknown> }).parameters?.zone, "-dev");
  const dropped = result.warnings.filter((w) => w.includes("removed from this value"));
  assert.deepEqual(dropped, [
    'intent.yaml:11: env.ROOT: {{ .orun.plan.name }} is removed from this value: parameter, env and path values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
    'intent.yaml:16: environments.dev.parameterDefaults.*.zone: {{ .Values.zone }} is removed from this value: parameter, env and path values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
    'intent.yaml:22: components[0].parameters.bucket: {{ .orun.component.name }} is removed from this value: parameter, env and path values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
  ]);
});

test("a component's path that loses an expression is warned about too, in intent.yaml and in a component.yaml", async () => {
  const env = "environments:\n  dev:\n    selectors: {components: [\"*\"]}\n";
  const result = await compileRepo({
    ...baseRepo(`${env}components:\n  - name: api\n    type: svc\n    path: "deploy/{{ .orun.environment.name }}"\n`),
    "svc/web/component.yaml": 'apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: svc\n  path: "web/{{ .Values.x }}-{{.environment}}"\n',
  });
  assert.equal((job(result.plan, "api@dev.deploy") as { path?: string }).path, "deploy/");
  const dropped = result.warnings.filter((w) => w.includes("removed from this value"));
  assert.equal(dropped.length, 2, dropped.join("\n"));
  assert.match(dropped[0]!, /^intent\.yaml:\d+: components\[0\]\.path: \{\{ \.orun\.environment\.name \}\} is removed from this value/);
  assert.match(dropped[1]!, /^svc\/web\/component\.yaml:7: spec\.path: \{\{ \.Values\.x \}\} is removed from this value/);
});

test("a {{…}} inside a list or map parameter is kept as written (v2.3 interpolates top-level values only), with a warning at its line", async () => {
  const body = `environments:
  dev:
    selectors: {components: ["*"]}
components:
  - name: api
    type: svc
    parameters:
      charts: ["{{.component}}/chart", plain, "\${{ github.sha }}"]
      values: {inner: "{{ .x }}", deeper: {name: "{{.environment}}"}}
`;
  const result = await compileRepo(baseRepo(body));
  const parameters = (job(result.plan, "api@dev.deploy") as { parameters?: Record<string, unknown> }).parameters;
  assert.deepEqual(parameters?.charts, ["{{.component}}/chart", "plain", "${{ github.sha }}"]);
  assert.deepEqual(parameters?.values, { inner: "{{ .x }}", deeper: { name: "{{.environment}}" } });
  const kept = result.warnings.filter((w) => w.includes("kept as written"));
  const tail = "kept as written: only top-level parameter values substitute {{.environment}}, {{.component}} and {{.group}}; values inside lists and maps are copied unchanged";
  assert.deepEqual(kept, [
    `intent.yaml:17: components[0].parameters.charts[0]: {{.component}} is ${tail}`,
    `intent.yaml:18: components[0].parameters.values.deeper.name: {{.environment}} is ${tail}`,
    `intent.yaml:18: components[0].parameters.values.inner: {{ .x }} is ${tail}`,
  ]);
});

test("a {{…}} inside a list or map in a step's with is kept as written (v2.3 renders top-level strings only), with a warning at its line", async () => {
  const tmpl = `            tmpl: "{{.orun.job.id}}"\n`;
  const svc = SVC.replace(tmpl, `${tmpl}            files: ["{{ .orun.component.name }}.txt", plain, "\${{ github.sha }}"]\n            opts: {deep: {name: "{{.parameters.replicas}}"}}\n`);
  const line = SVC.slice(0, SVC.indexOf(tmpl)).split("\n").length + 1;
  const result = await compileRepo(baseRepo(`${DEV_API}  - name: web\n    type: svc\n`, { "comps/svc/compositions.yaml": svc }));
  const step = job(result.plan, "api@dev.deploy").steps.find((s) => s.name === "pre-a")!;
  assert.deepEqual(step.with, { num: 5, tmpl: "api@dev.deploy", files: ["{{ .orun.component.name }}.txt", "plain", "${{ github.sha }}"], opts: { deep: { name: "{{.parameters.replicas}}" } } });
  const tail = "kept as written: step pre-a of composition svc renders only the top-level string values of with, not values inside its lists and maps (2 jobs: api@dev.deploy, web@dev.deploy)";
  assert.deepEqual(
    result.warnings.filter((w) => w.includes("kept as written")),
    [
      `comps/svc/compositions.yaml:${line}: spec.jobs[0].steps[3].with.files[0]: {{ .orun.component.name }} is ${tail}`,
      `comps/svc/compositions.yaml:${line + 1}: spec.jobs[0].steps[3].with.opts.deep.name: {{.parameters.replicas}} is ${tail}`,
    ],
  );
});
