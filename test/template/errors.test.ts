import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate, TemplateError } from "../../src/template/index.js";
import { OrunError } from "../../src/util/errors.js";
import { stepData } from "./data.js";

interface ErrorRow {
  name: string;
  template: string;
  kind: "parse" | "missing-key" | "exec";
  /** The whole message. */
  message: string;
  keyPath?: string;
}

function renderError(template: string, data: unknown = stepData()): TemplateError {
  try {
    const out = renderTemplate(template, data, { name: "t" });
    assert.fail(`expected an error, got ${JSON.stringify(out)}`);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return err;
  }
}

const rows: ErrorRow[] = [
  // parse errors
  { name: "unclosed action", template: "a {{ .x", kind: "parse", message: "template: t:1:3: unclosed action" },
  { name: "single closing brace", template: "{{ .x }", kind: "parse", message: 'template: t:1:7: unexpected "}" in operand' },
  { name: "unknown function", template: "{{ upper .parameters.name }}", kind: "parse", message: 'template: t:1:4: function "upper" not defined' },
  { name: "sprig-style default is not defined", template: '{{ default "a" .x }}', kind: "parse", message: 'template: t:1:4: function "default" not defined' },
  { name: "undefined variable", template: "{{ $y }}", kind: "parse", message: 'template: t:1:4: undefined variable "$y"' },
  { name: "assignment to an undeclared variable", template: "{{ $y = 1 }}", kind: "parse", message: 'template: t:1:4: undefined variable "$y"' },
  { name: "variable used outside its scope", template: "{{if true}}{{$x := 1}}{{end}}{{$x}}", kind: "parse", message: 'template: t:1:32: undefined variable "$x"' },
  { name: "if without end", template: "{{if .x}}a", kind: "parse", message: "template: t:1:3: unexpected EOF: {{if}} has no matching {{end}}" },
  { name: "stray end", template: "a{{end}}", kind: "parse", message: "template: t:1:4: unexpected {{end}}" },
  { name: "stray else", template: "{{else}}", kind: "parse", message: "template: t:1:3: unexpected {{else}}" },
  { name: "two elses", template: "{{range .x}}{{else}}{{else}}{{end}}", kind: "parse", message: "template: t:1:23: expected end; found {{else}}" },
  { name: "if without condition", template: "{{if}}x{{end}}", kind: "parse", message: "template: t:1:5: missing value for if" },
  { name: "break outside range", template: "{{break}}", kind: "parse", message: "template: t:1:3: {{break}} outside {{range}}" },
  { name: "continue outside range", template: "{{if 1}}{{continue}}{{end}}", kind: "parse", message: "template: t:1:11: {{continue}} outside {{range}}" },
  { name: "unterminated string", template: '{{ "abc }}', kind: "parse", message: "template: t:1:4: unterminated quoted string" },
  { name: "unterminated raw string", template: "{{ `abc }}", kind: "parse", message: "template: t:1:4: unterminated raw quoted string" },
  { name: "bad escape in string", template: '{{ "a\\q" }}', kind: "parse", message: 'template: t:1:4: invalid syntax in string literal "a\\q"' },
  { name: "literal in a later pipeline stage", template: '{{ .x | "a" }}', kind: "parse", message: "template: t:1:9: non executable command in pipeline stage 2" },
  { name: "dangling pipe", template: "{{ .x | }}", kind: "parse", message: "template: t:1:7: missing command after |" },
  { name: "empty action", template: "{{}}", kind: "parse", message: "template: t:1:3: missing value for command" },
  { name: "unclosed paren", template: "{{ (len .x }}", kind: "parse", message: "template: t:1:12: unclosed left paren" },
  { name: "unexpected right paren", template: "{{ .x) }}", kind: "parse", message: "template: t:1:6: unexpected right paren" },
  { name: "unclosed comment", template: "a{{/* x }}", kind: "parse", message: "template: t:1:2: unclosed comment" },
  { name: "comment not closing the action", template: "{{/* x */ .y}}", kind: "parse", message: "template: t:1:1: comment ends before closing delimiter" },
  { name: "bad number", template: "{{ 1x }}", kind: "parse", message: 'template: t:1:4: bad number syntax: "1x"' },
  { name: "unexpected character", template: "{{ # }}", kind: "parse", message: 'template: t:1:4: unexpected "#" in command' },
  { name: "template name must be a string", template: "{{template .x}}", kind: "parse", message: 'template: t:1:12: unexpected ".x" in template clause' },
  { name: "duplicate define", template: '{{define "a"}}x{{end}}{{define "a"}}y{{end}}', kind: "parse", message: 'template: t:1:25: multiple definition of template "a"' },
  { name: "define inside an action", template: '{{if 1}}{{define "x"}}{{end}}{{end}}', kind: "parse", message: "template: t:1:11: unexpected <define> in command" },
  { name: "malformed char constant", template: "{{ 'ab' }}", kind: "parse", message: "template: t:1:4: malformed character constant: 'ab'" },
  { name: "field after a literal", template: '{{ "a".b }}', kind: "parse", message: 'template: t:1:7: unexpected . after term "\\"a\\""' },
  { name: "location on a later line", template: "line one\nline two\n  run {{ .x | nope }}", kind: "parse", message: 'template: t:3:15: function "nope" not defined' },
  { name: "GitHub syntax without $ is a Go action", template: "{{ github.sha }}", kind: "parse", message: 'template: t:1:4: function "github" not defined' },

  // missing keys
  { name: "missing parameter", template: "replicas={{ .parameters.replicaCount }}", kind: "missing-key", message: 'template: t:1:13: executing "t" at <.parameters.replicaCount>: map has no entry for key "replicaCount"', keyPath: ".parameters.replicaCount" },
  { name: "missing key at depth", template: "{{ .parameters.nested.m.y }}", kind: "missing-key", message: 'template: t:1:4: executing "t" at <.parameters.nested.m.y>: map has no entry for key "y"', keyPath: ".parameters.nested.m.y" },
  { name: "missing key names the first absent key", template: "{{ .parameters.nope.deeper }}", kind: "missing-key", message: 'template: t:1:4: executing "t" at <.parameters.nope>: map has no entry for key "nope"', keyPath: ".parameters.nope" },
  { name: "unknown top-level namespace", template: "{{ .name }}", kind: "missing-key", message: 'template: t:1:4: executing "t" at <.name>: map has no entry for key "name"', keyPath: ".name" },
  { name: "missing key as a function argument", template: '{{ printf "%s" .parameters.nope }}', kind: "missing-key", message: 'template: t:1:16: executing "t" at <.parameters.nope>: map has no entry for key "nope"', keyPath: ".parameters.nope" },
  { name: "missing key piped into a function", template: "{{ .env.NOPE | len }}", kind: "missing-key", message: 'template: t:1:4: executing "t" at <.env.NOPE>: map has no entry for key "NOPE"', keyPath: ".env.NOPE" },
  { name: "missing key compared inside if", template: '{{ if eq .parameters.mode "fast" }}x{{ end }}', kind: "missing-key", message: 'template: t:1:10: executing "t" at <.parameters.mode>: map has no entry for key "mode"', keyPath: ".parameters.mode" },
  { name: "missing key through index", template: '{{ index .parameters "nope" }}', kind: "missing-key", message: 'template: t:1:4: executing "t" at <.parameters.nope>: map has no entry for key "nope"', keyPath: ".parameters.nope" },
  { name: "missing key inside with names the full path", template: "{{ with .orun }}{{ .nope }}{{ end }}", kind: "missing-key", message: 'template: t:1:20: executing "t" at <.orun.nope>: map has no entry for key "nope"', keyPath: ".orun.nope" },
  { name: "missing key in a range element", template: "{{ range .parameters.items }}{{ .name }},{{ end }}", kind: "missing-key", message: 'template: t:1:33: executing "t" at <.parameters.items[1].name>: map has no entry for key "name"', keyPath: ".parameters.items[1].name" },
  { name: "missing key through a variable", template: "{{ $p := .parameters }}{{ $p.nope }}", kind: "missing-key", message: 'template: t:1:27: executing "t" at <.parameters.nope>: map has no entry for key "nope"', keyPath: ".parameters.nope" },
  { name: "missing key stored in a variable, then printed", template: "{{ $v := .nope }}{{ $v }}", kind: "missing-key", message: 'template: t:1:10: executing "t" at <.nope>: map has no entry for key "nope"', keyPath: ".nope" },
  { name: "ranging over a missing key", template: "{{ range .parameters.list }}x{{ end }}", kind: "missing-key", message: 'template: t:1:10: executing "t" at <.parameters.list>: map has no entry for key "list"', keyPath: ".parameters.list" },
  { name: "and returning a missing key, printed", template: "{{ and .parameters.nope 1 }}", kind: "missing-key", message: 'template: t:1:8: executing "t" at <.parameters.nope>: map has no entry for key "nope"', keyPath: ".parameters.nope" },
  { name: "printing null", template: "{{ .parameters.nothing }}", kind: "missing-key", message: 'template: t:1:4: executing "t" at <.parameters.nothing>: .parameters.nothing is null: nothing to print', keyPath: ".parameters.nothing" },

  // execution errors
  { name: "incompatible comparison", template: '{{ lt 1 "a" }}', kind: "exec", message: 'template: t:1:4: executing "t" at <lt 1 "a">: error calling lt: incompatible types for comparison' },
  { name: "eq of int and string", template: '{{ eq .parameters.replicas "3" }}', kind: "exec", message: 'template: t:1:4: executing "t" at <eq .parameters.replicas "3">: error calling eq: incompatible types for comparison' },
  { name: "ordering booleans", template: "{{ lt true false }}", kind: "exec", message: 'template: t:1:4: executing "t" at <lt true false>: error calling lt: invalid type for comparison' },
  { name: "eq of lists", template: "{{ eq .parameters.tags .parameters.tags }}", kind: "exec", message: 'template: t:1:4: executing "t" at <eq .parameters.tags .parameters.tags>: error calling eq: non-comparable type [a b]: []interface {}' },
  { name: "eq with one argument", template: "{{ eq 1 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <eq 1>: error calling eq: missing argument for comparison' },
  { name: "range over a string", template: "{{ range .parameters.name }}x{{ end }}", kind: "exec", message: 'template: t:1:10: executing "t" at <.parameters.name>: range can\'t iterate over api' },
  { name: "range over a float", template: "{{ range .parameters.ratio }}x{{ end }}", kind: "exec", message: 'template: t:1:10: executing "t" at <.parameters.ratio>: range can\'t iterate over 0.75' },
  { name: "range over int with two variables", template: "{{ range $i, $v := 3 }}x{{ end }}", kind: "exec", message: 'template: t:1:10: executing "t" at <{{range $i, $v := 3}}x{{end}}>: can\'t use 3 to iterate over more than one variable' },
  { name: "field of a string", template: "{{ .parameters.name.first }}", kind: "exec", message: 'template: t:1:4: executing "t" at <.parameters.name.first>: can\'t evaluate field first in type string' },
  { name: "field of null", template: "{{ .parameters.nothing.x }}", kind: "exec", message: 'template: t:1:4: executing "t" at <.parameters.nothing.x>: nil pointer evaluating interface {}.x' },
  { name: "nil is not a command", template: "{{ nil }}", kind: "exec", message: 'template: t:1:4: executing "t" at <nil>: nil is not a command' },
  { name: "argument to a non-function", template: '{{ "a" "b" }}', kind: "exec", message: 'template: t:1:4: executing "t" at <"a">: can\'t give argument to non-function "a"' },
  { name: "argument to a map field", template: "{{ .parameters.name 1 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <.parameters.name>: name is not a method but has arguments' },
  { name: "len of an int", template: "{{ len 3 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <len 3>: error calling len: len of type int' },
  { name: "index out of range", template: "{{ index .parameters.tags 5 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <index .parameters.tags 5>: error calling index: index out of range: 5' },
  { name: "index a map with an int", template: "{{ index .parameters.labels 1 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <index .parameters.labels 1>: error calling index: value has type int; should be string' },
  { name: "slice past the end", template: "{{ slice .parameters.tags 0 3 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <slice .parameters.tags 0 3>: error calling slice: index out of range: 3' },
  { name: "bad slice bounds", template: "{{ slice .parameters.tags 2 1 }}", kind: "exec", message: 'template: t:1:4: executing "t" at <slice .parameters.tags 2 1>: error calling slice: invalid slice index: 2 > 1' },
  { name: "too few arguments", template: "{{ not }}", kind: "exec", message: 'template: t:1:4: executing "t" at <not>: wrong number of args for not: want 1 got 0' },
  { name: "too few arguments to a variadic function", template: "{{ and }}", kind: "exec", message: 'template: t:1:4: executing "t" at <and>: wrong number of args for and: want at least 1 got 0' },
  { name: "printf format must be a string", template: "{{ printf 1 }}", kind: "exec", message: 'template: t:1:11: executing "t" at <1>: wrong type for value; expected string; got int' },
  { name: "undefined template", template: '{{ template "nope" }}', kind: "exec", message: 'template: t:1:13: executing "t" at <{{template "nope"}}>: template "nope" not defined' },
  { name: "error inside a defined template names it", template: '{{define "inner"}}{{ .nope }}{{end}}{{ template "inner" .orun }}', kind: "missing-key", message: 'template: t:1:22: executing "inner" at <.orun.nope>: map has no entry for key "nope"', keyPath: ".orun.nope" },
  { name: "runaway recursion", template: '{{define "r"}}{{template "r"}}{{end}}{{template "r"}}', kind: "exec", message: 'template: t:1:26: executing "r" at <{{template "r"}}>: exceeded maximum template depth (1000)' },
];

for (const row of rows) {
  test(`error: ${row.name}`, () => {
    const err = renderError(row.template);
    assert.equal(err.message, row.message);
    assert.equal(err.kind, row.kind);
    assert.equal(err.keyPath, row.keyPath);
  });
}

test("error: TemplateError is an OrunError with name, line, column and a non-zero exit code", () => {
  const err = renderError("first line\n  second {{ .parameters.absent }}");
  assert.ok(err instanceof OrunError);
  assert.equal(err.templateName, "t");
  assert.equal(err.line, 2);
  assert.equal(err.column, 13);
  assert.equal(err.keyPath, ".parameters.absent");
  assert.equal(err.reason, 'map has no entry for key "absent"');
  assert.equal(err.exitCode, 1);
});

test("error: the default template name is used when none is given", () => {
  assert.throws(() => renderTemplate("{{ .x }}", {}), { message: 'template: template:1:4: executing "template" at <.x>: map has no entry for key "x"' });
});

test("error: nothing is written before an execution error surfaces", () => {
  // renderTemplate returns a string or throws: no partial output can leak.
  assert.throws(() => renderTemplate("partial {{ .parameters.name }} {{ .parameters.nope }}", stepData()), TemplateError);
});

test("error: hostile nesting is a parse error, not a crash", () => {
  const err = renderError("{{" + "(".repeat(20000) + "1" + ")".repeat(20000) + "}}");
  assert.equal(err.kind, "parse");
  assert.equal(err.message, "template: t:1:1: template nesting too deep");
});

test("error: runaway output from nested ranges is stopped", () => {
  const started = process.hrtime.bigint();
  const err = renderError("{{range 1000}}{{range 1000}}{{range 1000}}" + "x".repeat(4096) + "{{end}}{{end}}{{end}}");
  assert.equal(err.kind, "exec");
  assert.match(err.message, /output exceeds 67108864 characters$/);
  assert.ok(process.hrtime.bigint() - started < 30_000_000_000n, "stopped long before a billion iterations");
});
