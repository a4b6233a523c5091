// Table-driven: each row is a template and exactly what Go's text/template
// prints for it with the data in data.ts (Go 1.22+ semantics).
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate } from "../../src/template/index.js";
import { stepData } from "./data.js";

type Row = [name: string, template: string, expected: string];

const rows: Row[] = [
  // text and actions
  ["plain text is returned as is", "echo hello", "echo hello"],
  ["field chain", "deploy {{.orun.component.name}} to {{.orun.environment.name}}", "deploy web-app to production"],
  ["spaces inside delimiters", "{{ .parameters.name }}", "api"],
  ["int parameter", "replicas={{.parameters.replicas}}", "replicas=3"],
  ["float parameter", "{{.parameters.ratio}}", "0.75"],
  ["bool parameter", "{{.parameters.enabled}} {{.parameters.disabled}}", "true false"],
  ["env namespace", "STAGE={{.env.STAGE}}", "STAGE=prod"],
  ["empty string value", "[{{.env.EMPTY}}]", "[]"],
  ["multi-line text keeps newlines", "set -e\necho {{.parameters.name}}\n\necho done\n", "set -e\necho api\n\necho done\n"],
  ["action spanning lines", "{{ .parameters.name\n }}", "api"],
  ["$ is the root", "{{with .orun}}{{$.env.STAGE}}{{end}}", "prod"],
  ["dot alone prints a string dot", "{{with .parameters.name}}<{{.}}>{{end}}", "<api>"],
  ["index reaches keys that are not identifiers", '{{index .parameters "dashed-key"}}', "dk"],

  // trim markers and comments
  ["left trim removes preceding whitespace", "a  \n\t {{- .parameters.name}}", "aapi"],
  ["right trim removes following whitespace", "{{.parameters.name -}}  \n\n b", "apib"],
  ["both trims", "x \n {{- .parameters.name -}} \n y", "xapiy"],
  ["minus without a space is a negative number", "a {{-3}}", "a -3"],
  ["trim before a number", "{{3 -}} x", "3x"],
  ["trim markers remove CRLF line ends", "a \r\n{{- .parameters.name -}}\r\n b", "aapib"],
  ["comment produces nothing", "a{{/* a comment */}}b", "ab"],
  ["trimmed comment", "a \n{{- /* c */ -}}\n b", "ab"],
  ["multi-line comment", "{{/* line one\nline two */}}x", "x"],
  ["trimmed if/end keep the script tidy", "start\n{{- if .parameters.enabled}}\nenabled\n{{- end}}\nend", "start\nenabled\nend"],

  // literals
  ["string escapes", '{{"a\\tb\\n\\"q\\" \\x41\\u00e9"}}', 'a\tb\n"q" Aé'],
  ["raw string", "{{`a\\nb`}}", "a\\nb"],
  ["ints", "{{42}} {{-7}} {{+5}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}", "42 -7 5 31 15 15 5 1000"],
  ["floats print shortest", "{{1.5}} {{2.50}} {{.5}} {{1.5e-7}} {{3.14}}", "1.5 2.5 0.5 1.5e-07 3.14"],
  ["booleans", "{{true}} {{false}}", "true false"],
  ["character constants are ints", "{{'a'}} {{'\\n'}} {{printf \"%c\" 'é'}}", "97 10 é"],
  ["nil prints as <nil> through print", "{{print nil}}", "<nil>"],

  // variables
  ["declare and use", "{{$x := .parameters.name}}{{$x}}-{{$x}}", "api-api"],
  ["declaration prints nothing", "a{{$x := 1}}b", "ab"],
  ["assignment", "{{$x := 1}}{{$x = 2}}{{$x}}", "2"],
  ["assignment inside if changes the outer variable", "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"],
  ["a declaration inside if shadows the outer variable until its end", "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21"],
  ["a range's variables end with it", "{{$x := 1}}{{range $x := .parameters.tags}}{{end}}{{$x}}", "1"],
  ["variable field chain", "{{$o := .orun}}{{$o.component.type}}", "turbo-package"],
  ["variable declared in if is visible in else", '{{if $v := .parameters.blank}}x{{else}}[{{$v}}]{{end}}', "[]"],
  ["$ inside range", "{{range .parameters.tags}}{{$.parameters.name}}{{end}}", "apiapi"],

  // pipelines
  ["pipe into printf appends the value last", '{{.parameters.name | printf "%s!"}}', "api!"],
  ["pipe appends after other args", '{{"a" | printf "%s-%s" "b"}}', "b-a"],
  ["pipe into len", "{{.parameters.tags | len}}", "2"],
  ["chained pipes", '{{.parameters.name | printf "%s-%s" "x" | len}}', "5"],
  ["parenthesised pipeline as argument", '{{printf "%d items" (len .parameters.nums)}}', "4 items"],
  ["field of a parenthesised value", "{{(.orun).component.name}}", "web-app"],
  ["field of a function result", '{{(index .parameters.items 0).name}}', "a"],

  // if / else
  ["if true", "{{if .parameters.enabled}}yes{{end}}", "yes"],
  ["if false has no else", "a{{if .parameters.disabled}}yes{{end}}b", "ab"],
  ["zero is false", "{{if .parameters.zero}}a{{else}}b{{end}}", "b"],
  ["empty string is false", '{{if ""}}a{{else}}b{{end}}', "b"],
  ["empty list and map are false", "{{if .parameters.empty}}a{{else if .parameters.emptyMap}}b{{else}}c{{end}}", "c"],
  ["null is false", "{{if .parameters.nothing}}a{{else}}b{{end}}", "b"],
  ["non-empty list is true", "{{if .parameters.tags}}a{{end}}", "a"],
  ["else if chain", '{{if eq .parameters.replicas 1}}one{{else if eq .parameters.replicas 3}}three{{else}}many{{end}}', "three"],
  ["text around branches is kept exactly", "{{if .parameters.disabled}}\nA\n{{else}}\nB\n{{end}}\n", "\nB\n\n"],
  ["missing key is false in if (fixtures rely on it)", "{{if .preBuildCommand}}{{.parameters.preBuildCommand}}{{else}}skip{{end}}", "skip"],
  ["missing nested key is false in if", "{{if .parameters.nope.deeper}}a{{else}}b{{end}}", "b"],
  ["if with and/not", "{{if and .parameters.enabled (not .parameters.disabled)}}ok{{end}}", "ok"],

  // range
  ["range over a list", "{{range .parameters.tags}}[{{.}}]{{end}}", "[a][b]"],
  ["range else runs only for an empty collection", "{{range .parameters.tags}}{{.}}{{else}}none{{end}}", "ab"],
  ["negative numbers are true", "{{if -1}}neg{{end}} {{if -0.5}}negf{{end}} {{if 0}}zero{{end}}", "neg negf "],
  ["range with index and element", "{{range $i, $e := .parameters.tags}}{{$i}}:{{$e}},{{end}}", "0:a,1:b,"],
  ["range over a map is in key order", "{{range $k, $v := .parameters.labels}}{{$k}}={{$v}};{{end}}", "a=first;m=mid;z=last;"],
  ["one range variable gets the element", "{{range $v := .parameters.labels}}{{$v}} {{end}}", "first mid last "],
  ["range else on empty", "{{range .parameters.empty}}x{{else}}none{{end}}", "none"],
  ["range else on null", "{{range .parameters.nothing}}x{{else}}none{{end}}", "none"],
  ["break", "{{range .parameters.nums}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}", "12"],
  ["continue", "{{range .parameters.nums}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", "134"],
  ["range over an int", "{{range 3}}{{.}}{{end}}", "012"],
  ["dot is restored after range", "{{range .parameters.tags}}{{end}}{{.parameters.name}}", "api"],
  ["nested ranges", "{{range $a := .parameters.tags}}{{range $.parameters.tags}}{{$a}}{{.}} {{end}}{{end}}", "aa ab ba bb "],
  ["range over a mixed list", "{{range .parameters.nested.k}}<{{.}}>{{end}}", "<1><two>"],
  ["range assigning to outer variables keeps the last pair", '{{$i := 0}}{{$v := ""}}{{range $i, $v = .parameters.tags}}{{end}}{{$i}}{{$v}}', "1b"],
  ["range variables hold the collection in the else branch", "{{range $i, $v := .parameters.empty}}x{{else}}{{len $v}}{{end}}", "0"],
  ["variables declared in a range body are per iteration", "{{range .parameters.tags}}{{$x := .}}{{$x}}{{end}}", "ab"],

  // with
  ["with sets dot", "{{with .orun.component}}{{.name}}/{{.type}}{{end}}", "web-app/turbo-package"],
  ["with else", "{{with .parameters.blank}}a{{else}}b{{end}}", "b"],
  ["with on a missing key takes else", "{{with .parameters.nope}}a{{else}}b{{end}}", "b"],
  ["else with", "{{with .parameters.blank}}a{{else with .parameters.name}}{{.}}{{end}}", "api"],
  ["with declaring a variable", "{{with $c := .orun.component}}{{$c.name}}{{end}}", "web-app"],

  // define / template / block
  ["define and template", '{{define "T"}}<{{.}}>{{end}}{{template "T" .parameters.name}}', "<api>"],
  ["template without data", '{{define "T"}}hi{{end}}a{{template "T"}}b', "ahib"],
  ["$ in a called template is its data", '{{define "T"}}{{$}}{{end}}{{template "T" "z"}}', "z"],
  ["block defines and runs", '{{block "B" .parameters.name}}[{{.}}]{{end}}', "[api]"],
  ["recursive template", '{{define "R"}}{{if .}}{{len .}}{{template "R" (slice . 1)}}{{end}}{{end}}{{template "R" .parameters.nums}}', "4321"],

  // builtins
  ["and returns the first false value", "{{and 1 0 2}}", "0"],
  ["and returns the last value when all true", "{{and 1 2}}", "2"],
  ["or returns the first true value", '{{or 0 "" "x"}}', "x"],
  ["or returns the last value when none is true", '[{{or 0 ""}}]', "[]"],
  ["and short-circuits", "{{and false (index .parameters.tags 10)}}", "false"],
  ["or short-circuits", "{{or true (index .parameters.tags 10)}}", "true"],
  ["or as a default value", '{{or .parameters.blank "default"}}', "default"],
  ["or with a missing key as default", '{{or .parameters.nope "default"}}', "default"],
  ["not", "{{not 0}} {{not .parameters.tags}}", "true false"],
  ["len of string counts bytes", "{{len .parameters.unicode}}", "6"],
  ["len of map", "{{len .parameters.labels}}", "3"],
  ["index list and map", '{{index .parameters.tags 1}} {{index .parameters.labels "a"}}', "b first"],
  ["index nested", '{{index .parameters.nested "k" 1}}', "two"],
  ["index of a string is a byte", '{{index "abc" 1}}', "98"],
  ["slice", '{{slice .parameters.tags 1}} {{slice "hello" 1 3}} {{slice .parameters.nums 1 3}} {{slice .parameters.tags}}', "[b] el [2 3] [a b]"],
  ["print spaces only between non-strings", '{{print "a" 1 2 "b" 3}}', "a1 2b3"],
  ["println", '{{println "a" 1}}', "a 1\n"],
  ["eq with several candidates", '{{eq .parameters.name "web" "api"}}', "true"],
  ["comparisons", '{{eq 1 1}} {{ne "a" "b"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', "true true true true true false"],
  ["eq of null and a string is false", '{{eq .parameters.nothing "x"}}', "false"],
  ["html", '{{html "<a href=\\"x\\">&\'"}}', "&lt;a href=&#34;x&#34;&gt;&amp;&#39;"],
  ["js", '{{js "it\'s <b>\\"x\\" & y=1\\n"}}', "it\\'s \\u003Cb\\u003E\\\"x\\\" \\u0026 y\\u003D1\\u000A"],
  ["urlquery", '{{urlquery "a b&c=d/é"}}', "a+b%26c%3Dd%2F%C3%A9"],
  ["html replaces NUL with U+FFFD", '{{html "a\\x00b"}}', "a\ufffdb"],
  ["html of several args uses print", "{{html 1 2}}", "1 2"],
  ["pipe into html", "{{.parameters.name | html}}", "api"],

  // Go value printing
  ["map prints with sorted keys", "{{.parameters.labels}}", "map[a:first m:mid z:last]"],
  ["list prints bracketed", "{{.parameters.tags}}", "[a b]"],
  ["nested values", "{{.parameters.nested}}", "map[k:[1 two] m:map[x:true]]"],
  ["empty list and map", "{{.parameters.empty}} {{.parameters.emptyMap}}", "[] map[]"],
  ["list of maps", "{{.parameters.items}}", "[map[name:a] map[]]"],
];

for (const [name, template, expected] of rows) {
  test(`render: ${name}`, () => {
    assert.equal(renderTemplate(template, stepData(), { name: "t" }), expected);
  });
}

test("render: floats print like Go's %v (shortest, exponent from 1e+06 and below 1e-04)", () => {
  const cases: [number, string][] = [
    [12345678.5, "1.23456785e+07"],
    [123456.5, "123456.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [2.5e-7, "2.5e-07"],
    [-1500000.5, "-1.5000005e+06"],
    [3.14, "3.14"],
    [1e21, "1e+21"],
  ];
  for (const [value, expected] of cases) assert.equal(renderTemplate("{{.v}}", { v: value }), expected, String(value));
});

test("render: null inside a list prints <nil>", () => {
  assert.equal(renderTemplate("{{.v}}", { v: ["a", null] }), "[a <nil>]");
});

test("render: data is not modified", () => {
  const data = stepData();
  const before = JSON.stringify(data);
  renderTemplate("{{$x := .parameters}}{{range .parameters.tags}}{{end}}{{$x = 1}}{{.parameters.labels}}", data);
  assert.equal(JSON.stringify(data), before);
});
