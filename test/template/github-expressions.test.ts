// `${{ ... }}` is GitHub Actions syntax for the github-actions runner: it must
// reach the plan untouched while the Go actions around it are rendered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate } from "../../src/template/index.js";
import { stepData } from "./data.js";

type Row = [name: string, template: string, expected: string];

const rows: Row[] = [
  ["expression next to a Go action", "echo ${{ github.sha }} {{ .orun.component.name }}", "echo ${{ github.sha }} web-app"],
  ["expression only", 'echo "${{ secrets.TOKEN }}"', 'echo "${{ secrets.TOKEN }}"'],
  ["expression right after an action", "{{ .parameters.name }}${{ env.X }}", "api${{ env.X }}"],
  ["expression right before a trimmed action", "${{ a }} {{- .parameters.name }}", "${{ a }}api"],
  ["right trim stops at the dollar", "{{ .parameters.name -}}  ${{ b }}", "api${{ b }}"],
  ["several expressions", "${{ a }}-{{ .env.STAGE }}-${{ b }}", "${{ a }}-prod-${{ b }}"],
  ["expression spanning lines", "x: ${{\n  github.event_name == 'push'\n}} {{ .env.STAGE }}", "x: ${{\n  github.event_name == 'push'\n}} prod"],
  ["}} inside a quoted GitHub string does not close it", "${{ format('{0}}}', github.ref) }} {{ .env.STAGE }}", "${{ format('{0}}}', github.ref) }} prod"],
  ["escaped quote inside a GitHub string", "${{ 'it''s }}' }}{{ .env.STAGE }}", "${{ 'it''s }}' }}prod"],
  ["Go template may print a GitHub expression from a string", '{{ "${{ matrix.os }}" }}', "${{ matrix.os }}"],
  ["with: value that is only an expression", "${{ steps.build.outputs.digest }}", "${{ steps.build.outputs.digest }}"],
  ["Go action inside if around an expression", "{{ if .parameters.enabled }}run ${{ inputs.cmd }}{{ end }}", "run ${{ inputs.cmd }}"],
];

for (const [name, template, expected] of rows) {
  test(`github expressions: ${name}`, () => {
    assert.equal(renderTemplate(template, stepData()), expected);
  });
}

test("github expressions: an unclosed ${{ leaves the rest of the text literal", () => {
  assert.equal(renderTemplate("echo ${{ github.sha", stepData()), "echo ${{ github.sha");
});
