import { test } from "node:test";
import assert from "node:assert/strict";
import type { ComponentSchema } from "../../../src/model/composition.js";
import { withOrigin } from "../../../src/model/intent.js";
import { originAt, parseYamlText } from "../../../src/planner/load/yaml.js";
import { validateComponentParameters } from "../../../src/planner/validate/index.js";

function schemaOf(schema: object): ComponentSchema {
  const [yd] = parseYamlText("spec:\n  schema: {}\n", "comps/x/schema.yaml", "/c/schema.yaml");
  return withOrigin({ schema: schema as Record<string, unknown> } as ComponentSchema, originAt(yd!, ["spec", "schema"]));
}

const COMPONENT = parseYamlText("kind: Component\nmetadata: {name: api}\nspec:\n  type: svc\n  parameters:\n    replicas: three\n", "apps/api/component.yaml", "/r/apps/api/component.yaml")[0]!;
const where = { component: "api", type: "svc", origin: originAt(COMPONENT, ["spec"]) };

const SVC = schemaOf({
  type: "object",
  required: ["name", "type", "parameters"],
  properties: {
    type: { const: "svc" },
    parameters: {
      type: "object",
      required: ["chart"],
      additionalProperties: false,
      properties: {
        chart: { type: "string" },
        replicas: { type: "integer", default: 1 },
        lane: { enum: ["verify", "release"], default: "verify" },
        tags: { type: "array", items: { type: "string" }, default: [] },
      },
    },
  },
});

test("schema defaults fill in missing parameters; the input is not modified", () => {
  const input = { chart: "c" };
  const out = validateComponentParameters(input, SVC, where);
  assert.deepEqual(out, { chart: "c", replicas: 1, lane: "verify", tags: [] });
  assert.deepEqual(input, { chart: "c" });
  const again = validateComponentParameters({ chart: "c", replicas: 4 }, SVC, where);
  assert.equal(again.replicas, 4, "explicit values win over defaults");
});

test("a violation names the component file, the parameter's line and the parameter", () => {
  assert.throws(
    () => validateComponentParameters({ chart: "c", replicas: "three" }, SVC, where),
    (err: Error) => {
      assert.equal(err.message, 'apps/api/component.yaml:6: component api failed validation against type svc: parameters.replicas: must be an integer (got string "three")');
      return true;
    },
  );
  assert.throws(
    () => validateComponentParameters({}, SVC, { ...where, environment: "prod" }),
    /apps\/api\/component\.yaml:5: component api failed validation against type svc: parameters\.chart: is required \(environment prod\)/,
  );
  assert.throws(() => validateComponentParameters({ chart: "c", chrat: 1 }, SVC, where), /parameters\.chrat: unknown key "chrat" \(did you mean `chart`\?\)/);
  assert.throws(() => validateComponentParameters({ chart: "c" }, SVC, { ...where, type: "helm" }), /type: must be "svc" \(got "helm"\)/);
});

test("schemas written for `inputs` (v2.3 style) validate the same parameters", () => {
  const inputs = schemaOf({ type: "object", required: ["inputs"], properties: { inputs: { type: "object", required: ["stackName"] } } });
  assert.deepEqual(validateComponentParameters({ stackName: "net" }, inputs, where), { stackName: "net" });
  assert.throws(() => validateComponentParameters({}, inputs, where), /component api failed validation against type svc: parameters\.stackName: is required/);
});

test("draft 2020-12 schemas are supported", () => {
  const s = schemaOf({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { parameters: { type: "object", properties: { n: { type: "integer", default: 3 } }, unevaluatedProperties: false } } });
  assert.deepEqual(validateComponentParameters({}, s, where), { n: 3 });
  assert.throws(() => validateComponentParameters({ m: 1 }, s, where), /parameters: must NOT have unevaluated properties|parameters\.m/);
});

test("an unusable schema is reported at the composition's schema, not the component", () => {
  const bad = schemaOf({ $ref: "https://example.com/external.json" });
  assert.throws(() => validateComponentParameters({}, bad, where), /comps\/x\/schema\.yaml:2: spec\.schema: invalid parameter schema: external schema reference not supported: https:\/\/example\.com\/external\.json/);
});

test("without an origin the error still names component and parameter", () => {
  assert.throws(() => validateComponentParameters({ replicas: 1 }, SVC, { component: "api", type: "svc" }), /component api failed validation against type svc: parameters\.chart: is required/);
});
