// Spec 20 §2.3 and §9 conformance case 41: an action's inputs reach it as INPUT_<KEY upper-cased, spaces → _>, a
// hyphen kept (`node-version` → INPUT_NODE-VERSION, as GitHub's runner names it); a `with` key the action does not
// declare is passed all the same; a declared input left out takes its default.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeHarness, makeJob, runJob, type Harness } from "./helpers.js";

describe("github-actions runner: INPUT_* names", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
    const dir = path.join(h.workspace, "actions/print-inputs");
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, "action.yml"),
      ["name: print-inputs", "inputs:", "  node-version:", "    description: v", "  my input:", "    description: s", "  fallback:", "    default: dflt", "runs:", "  using: node20", "  main: index.cjs", ""].join("\n"),
    );
    await writeFile(
      path.join(dir, "index.cjs"),
      'for (const k of Object.keys(process.env).filter((k) => k.startsWith("INPUT_")).sort()) console.log(`${k}=${process.env[k]}`);\n',
    );
  });
  after(async () => h.dispose());

  it("case 41: `my input` → INPUT_MY_INPUT, `node-version` → INPUT_NODE-VERSION, an undeclared key is passed, a default fills in", async () => {
    const r = await runJob(h, makeJob("web@dev.inputs", [{ id: "p", use: "./actions/print-inputs", with: { "node-version": "20", "my input": "x", undeclared: "u" } }]));
    assert.equal(r.steps[0]!.error, undefined, r.steps[0]!.output);
    const lines = r.steps[0]!.output.split("\n").filter((line) => line.startsWith("INPUT_"));
    assert.deepEqual(lines, ["INPUT_FALLBACK=dflt", "INPUT_MY_INPUT=x", "INPUT_NODE-VERSION=20", "INPUT_UNDECLARED=u"]);
  });
});
