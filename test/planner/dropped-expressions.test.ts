// Parameter and env values are not templates (v2.3): {{.environment}},
// {{.component}} and {{.group}} are substituted and every other {{…}} is
// removed. The plan keeps that behaviour; a warning now names each value that
// lost an expression, where it was written — it used to vanish silently.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { baseRepo, cleanupRepos, compileRepo, job } from "./support.js";

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
    'intent.yaml:11: env.ROOT: {{ .orun.plan.name }} is removed from this value: parameter and env values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
    'intent.yaml:16: environments.dev.parameterDefaults.*.zone: {{ .Values.zone }} is removed from this value: parameter and env values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
    'intent.yaml:22: components[0].parameters.bucket: {{ .orun.component.name }} is removed from this value: parameter and env values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)',
  ]);
});
