// `${{ }}` through `orun run --gha`, checked against what GitHub's runner gives (spec 20-runtime §2.3,
// Expressions). Numbers land in text as GitHub writes them — .NET "G15", Go's %.15G — also inside format(),
// join() and contains(): orun wrote JavaScript's form (`1e+21`, `1e-7`, `0.000025`, `123456789012345680`).
// The rest pins behaviour checked correct in the same audit: loose equality, format() escaping, case-insensitive
// lookups and functions, fromJSON/toJSON, object and array results as JSON, the null contexts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

/** Expression → what GitHub's runner prints for it. */
const CASES: Array<[string, string]> = [
  ["1.5", "1.5"],
  ["3.0", "3"],
  ["-0", "-0"],
  ["0", "0"],
  ["0x10", "16"],
  ["0.0001", "0.0001"],
  ["0.00001", "1E-05"],
  ["1e-7", "1E-07"],
  ["999999999999999", "999999999999999"],
  ["1e15", "1E+15"],
  ["1e21", "1E+21"],
  ["123456789012345678", "1.23456789012346E+17"],
  ["fromJSON('0.30000000000000004')", "0.3"],
  ["fromJSON('1e400')", "Infinity"],
  ["fromJSON('-1e400')", "-Infinity"],
  ["format('{0}|{1}', 2.5e-5, 1.25)", "2.5E-05|1.25"],
  ["join(fromJSON('[1e21, 0.5]'), ';')", "1E+21;0.5"],
  ["contains(1e21, 'E+')", "true"],
  ["'abc' == 'ABC'", "true"],
  ["'1' == 1", "true"],
  ["'' == 0", "true"],
  ["null == 0", "true"],
  ["'a' == 0", "false"],
  ["'b' > 'A'", "true"],
  ["format('{0} {{1}} {{{1}}}', 'a', 'b')", "a {1} {b}"],
  ["startsWith('Hello', 'HE') && endsWith('Hello', 'lo') && contains(fromJSON('[\"A\"]'), 'a')", "true"],
  ["github.EVENT_NAME", "workflow_dispatch"],
  ["fromJSON('{\"a\":{\"B\":2}}').A.b", "2"],
  ["fromJSON('[{\"n\":1},{\"n\":2}]').*.n", "[1,2]"],
  ["join(fromJSON('[\"x\",\"y\"]'))", "x,y"],
  ["toJSON(matrix)", "null"],
  ["steps.none.outputs.x", ""],
  ["!'false'", "false"],
  ["0 || 'y'", "y"],
];

describe("orun run --gha: expression values in text", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("ci16-expr");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("prints each value as GitHub's runner does", async () => {
    // One step writes every value, a line each (a quoted heredoc: the shell changes nothing).
    const lines = CASES.map(([expression], index) => `${index}:\${{ ${expression} }}`).join("\n");
    const step = { id: "values", run: `cat > values.txt <<'ORUN_EOF'\n${lines}\nORUN_EOF\n` };
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.expr", [step])], "ci16-expr")));
    const result = await runOrun(["run", "plan.json", "--gha", "--exec-id", "expr"], { cwd: ws, env: ghaEnv(ws) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const printed = (await readFile(path.join(ws, "values.txt"), "utf8")).trimEnd().split("\n");
    const got = CASES.map(([expression], index) => [expression, printed[index]?.replace(`${index}:`, "")]);
    assert.deepEqual(got, CASES);
  });
});
