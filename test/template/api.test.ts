import { test } from "node:test";
import assert from "node:assert/strict";
import { clearTemplateCache, parseTemplate, renderTemplate, templateCacheSize, TemplateError } from "../../src/template/index.js";
import { stepData } from "./data.js";

test("api: a parsed template executes with different data", () => {
  const t = parseTemplate("deploy {{ .orun.component.name }} x{{ .parameters.replicas }}", "deploy");
  assert.equal(t.execute(stepData()), "deploy web-app x3");
  const other = stepData();
  (other.orun as { component: { name: string } }).component.name = "api";
  (other.parameters as Record<string, unknown>).replicas = 5;
  assert.equal(t.execute(other), "deploy api x5");
  assert.equal(t.hasActions, true);
});

test("api: a source without actions is returned unchanged and never parsed", () => {
  const source = "echo } { $ {x} }}";
  const t = parseTemplate(source);
  assert.equal(t.hasActions, false);
  assert.equal(t.execute(undefined), source);
  assert.equal(renderTemplate(source, {}), source);
});

test("api: parse errors are TemplateErrors of kind parse, at parse time", () => {
  assert.throws(() => parseTemplate("ok\n{{ .x | bogus }}", "step"), (err: unknown) => {
    assert.ok(err instanceof TemplateError);
    assert.equal(err.kind, "parse");
    assert.equal(err.templateName, "step");
    assert.equal(err.line, 2);
    assert.equal(err.column, 9);
    assert.equal(err.message, 'template: step:2:9: function "bogus" not defined');
    return true;
  });
});

test("api: the parse cache is shared by source text, error messages still use each caller's name", () => {
  clearTemplateCache();
  const source = "{{ .parameters.name }} {{ .parameters.absent }}";
  const messages = ["web:build:run", "api:build:run"].map((name) => {
    try {
      renderTemplate(source, stepData(), { name });
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  });
  assert.deepEqual(messages, [
    'template: web:build:run:1:27: executing "web:build:run" at <.parameters.absent>: map has no entry for key "absent"',
    'template: api:build:run:1:27: executing "api:build:run" at <.parameters.absent>: map has no entry for key "absent"',
  ]);
  const bad = "{{ if }}";
  for (const name of ["a", "b"]) {
    assert.throws(() => parseTemplate(bad, name), { message: `template: ${name}:1:7: missing value for if` });
  }
});

test("api: two components with different text for the same step never share output", () => {
  const data = stepData();
  assert.equal(renderTemplate("terraform plan {{ .parameters.name }}", data, { name: "terraform:plan:run" }), "terraform plan api");
  assert.equal(renderTemplate("terraform plan -lock=false {{ .parameters.name }}", data, { name: "terraform:plan:run" }), "terraform plan -lock=false api");
});

test("api: definitions in one source do not leak into another", () => {
  assert.equal(renderTemplate('{{define "x"}}one{{end}}{{template "x"}}', {}), "one");
  assert.throws(() => renderTemplate('{{template "x"}}', {}), { message: /template "x" not defined/ });
});

test("api: data may be any value, not only a map", () => {
  assert.equal(renderTemplate("{{.}}", "str"), "str");
  assert.equal(renderTemplate("{{len .}}", [1, 2]), "2");
  assert.equal(renderTemplate("{{range .}}{{.}}{{end}}", [1, 2]), "12");
});

test("api: hostile keys are plain map keys, never prototype members", () => {
  assert.throws(() => renderTemplate("{{ .constructor }}", {}), { message: /map has no entry for key "constructor"/ });
  assert.throws(() => renderTemplate('{{ index . "__proto__" }}', {}), { message: /map has no entry for key "__proto__"/ });
  assert.equal(renderTemplate('{{ index . "__proto__" }}', JSON.parse('{"__proto__": "own"}')), "own");
});

test("api: rendering thousands of steps parses each distinct source once", () => {
  clearTemplateCache();
  const source = 'echo "{{ .orun.component.name }}@{{ .orun.environment.name }}" {{ range .parameters.tags }}{{ . }} {{ end }}';
  let out = "";
  for (let i = 0; i < 5000; i++) out = renderTemplate(source, stepData(), { name: `c${i}` });
  assert.equal(out, 'echo "web-app@production" a b ');
  assert.equal(templateCacheSize(), 1);
  renderTemplate("{{ .env.STAGE }}", stepData());
  renderTemplate("no actions here", stepData());
  assert.equal(templateCacheSize(), 2);
});
