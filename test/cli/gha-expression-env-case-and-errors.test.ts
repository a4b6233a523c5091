// `${{ }}` in a plan run by `orun run --gha`, as GitHub's Linux runner evaluates it: the env context is
// case-sensitive like the variables themselves; a broken expression fails its step, and the record names the
// step and the expression as written.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

type Step = Partial<PlanStep> & { if?: string };

describe("orun run --gha: expressions", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha15-expr");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  async function run(name: string, steps: Step[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string; state: { jobs: Record<string, { status: string; lastError?: string; steps: Record<string, string> }> } }> {
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, steps, env)], name)));
    const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: ghaEnv(ws) });
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8"));
    return { code: r.code, output: r.stdout + r.stderr, state };
  }

  it("looks env up case-sensitively (Foo and FOO are two variables; env.foo is empty when only FOO is set)", { skip: process.platform === "win32" ? "case-insensitive on Windows" : undefined }, async () => {
    const { code, output } = await run(
      "env-case",
      [{ id: "show", env: { constructor: "c" }, run: 'echo "[${{ env.foo }}][${{ env.FOO }}][${{ env.Foo }}][${{ env.constructor }}]" > ENV_CASE' }],
      { FOO: "upper", Foo: "mixed" },
    );
    assert.equal(code, 0, output);
    assert.equal(await readFile(path.join(ws, "ENV_CASE"), "utf8"), "[][upper][mixed][c]\n");
  });

  it("a broken if: fails its step; the record names the step and the condition as written", async () => {
    const { code, state } = await run("bad-if", [{ id: "guarded", if: "github.ref ==", run: "touch GUARDED_RAN" }]);
    assert.equal(code, 1);
    const job = state.jobs["app@dev.bad-if"]!;
    assert.deepEqual(job.steps, { guarded: "failed" });
    assert.equal(job.lastError, "step guarded: if: invalid expression ${{ github.ref == }}: Unexpected end of expression: '=='");
  });
});
