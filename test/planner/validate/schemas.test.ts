import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { parseAllDocuments } from "yaml";
import { SCHEMAS } from "../../../src/planner/validate/index.js";
import { SCHEMA_DIR, schemaFileText } from "../../../src/planner/validate/emit-schemas.js";
import { FIXTURES_DIR, PROJECT_ROOT } from "../../support/cli.js";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

test("schemas/*.schema.json are exactly what src/planner/validate/schemas.ts defines", async () => {
  assert.equal(SCHEMA_DIR, path.join(PROJECT_ROOT, "schemas"));
  const files = (await fs.readdir(SCHEMA_DIR)).filter((f) => f.endsWith(".schema.json")).sort();
  assert.deepEqual(files, Object.keys(SCHEMAS).map((n) => `${n}.schema.json`).sort());
  for (const name of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
    const onDisk = await fs.readFile(path.join(SCHEMA_DIR, `${name}.schema.json`), "utf8");
    assert.equal(onDisk, schemaFileText(name), `${name}.schema.json is stale: run node dist/src/planner/validate/emit-schemas.js`);
  }
});

/** An editor-style validator: each shipped JSON file on its own, strict mode, no network. */
async function editorValidator(name: string): Promise<(v: unknown) => boolean> {
  const ajv = addFormats(new Ajv({ strict: true, allErrors: true, strictTypes: false, strictRequired: false }));
  const schema = JSON.parse(await fs.readFile(path.join(SCHEMA_DIR, `${name}.schema.json`), "utf8")) as object;
  const fn = ajv.compile(schema);
  return (v) => {
    const ok = fn(v);
    if (!ok) assert.fail(`${name}: ${JSON.stringify(fn.errors)}`);
    return ok;
  };
}

const KIND_TO_SCHEMA: Record<string, string> = {
  Intent: "intent",
  Component: "component",
  Composition: "composition",
  ComponentSchema: "component-schema",
  JobTemplate: "job-template",
  ExecutionProfile: "execution-profile",
  Stack: "stack",
  CompositionPackage: "composition-package",
  IntentPreset: "intent-preset",
};

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory() && !["node_modules", ".git", ".orun", "github-actions"].includes(e.name)) out.push(...(await yamlFiles(abs)));
    else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(abs);
  }
  return out;
}

async function validateTree(root: string): Promise<number> {
  const validators = new Map<string, (v: unknown) => boolean>();
  let count = 0;
  for (const file of await yamlFiles(root)) {
    for (const doc of parseAllDocuments(await fs.readFile(file, "utf8")) as unknown as { toJS(): unknown }[]) {
      const value = doc.toJS() as { kind?: string } | null;
      const schema = value?.kind ? KIND_TO_SCHEMA[value.kind] : undefined;
      if (!schema) continue;
      if (!validators.has(schema)) validators.set(schema, await editorValidator(schema));
      assert.ok(validators.get(schema)!(value), file);
      count++;
    }
  }
  return count;
}

test("the shipped JSON files compile standalone and accept every document of the v2.3 examples", { skip: !existsSync(FIXTURES_DIR) }, async () => {
  const count = await validateTree(FIXTURES_DIR);
  assert.ok(count >= 60, `validated ${count} documents`);
});

test("the shipped JSON files accept every document of our bundled example", async () => {
  assert.equal(await validateTree(path.join(PROJECT_ROOT, "examples/platform")), 10);
});

test("intent-preset.schema.json accepts a preset's spec as the intent does, and only the keys a preset may carry", async () => {
  const ajv = addFormats(new Ajv({ strict: true, allErrors: true, strictTypes: false, strictRequired: false }));
  const validate = ajv.compile(JSON.parse(await fs.readFile(path.join(SCHEMA_DIR, "intent-preset.schema.json"), "utf8")) as object);
  const preset = {
    apiVersion: "sourceplane.io/v1",
    kind: "IntentPreset",
    metadata: { name: "platform-defaults" },
    spec: {
      env: { ORG: "acme" },
      discovery: { roots: ["services"] },
      environments: { staging: { promotion: { dependsOn: [{ environment: "dev" }] } } },
      groups: { platform: { policies: { owner: "platform-team" } } },
    },
  };
  assert.equal(validate(preset), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...preset, spec: { ...preset.spec, components: [] } }), false, "components belong to the intent, not a preset");
  assert.equal(validate({ ...preset, kind: "Intent" }), false);
});
