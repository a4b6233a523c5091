// GitHub job-level keys in a plan run by `orun run --gha`: `defaults.run` (shell, working-directory) is
// honoured for the job's run: steps; `container:` and `services:` (and other keys orun cannot honour) are
// refused naming the job and the key before any step runs — never silently ignored.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: GitHub job keys", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha15-job-keys");
    await mkdir(path.join(ws, "sub"), { recursive: true });
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  async function run(name: string, steps: Partial<PlanStep>[], jobKeys: Record<string, unknown>): Promise<{ code: number | null; output: string }> {
    const job = Object.assign(makeJob(`app@dev.${name}`, steps), jobKeys);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job], name)));
    const result = await runOrun(["run", `${name}.json`, "--gha"], { cwd: ws, env: ghaEnv(ws) });
    return { code: result.code, output: result.stdout + result.stderr };
  }

  for (const [key, value] of [
    ["container", { image: "alpine:3" }],
    ["services", { db: { image: "postgres:16" } }],
  ] as const) {
    it(`refuses a job with ${key}: naming the job and the key; no step runs`, async () => {
      const marker = `RAN-${key}`;
      const { code, output } = await run(`with-${key}`, [{ id: "s", run: `touch ${marker}` }], { [key]: value });
      assert.notEqual(code, 0, output);
      assert.match(output, new RegExp(`job app@dev\\.with-${key}: "${key}" is not supported by the github-actions runner`));
      assert.ok(!existsSync(path.join(ws, marker)), "no step ran on the host instead");
    });
  }

  it("runs run: steps with the job's defaults.run shell and working-directory; a step's own win", async () => {
    const report = (tag: string): string => `require("fs").appendFileSync(${JSON.stringify(path.join(ws, "REPORT"))}, ${JSON.stringify(tag)} + " " + process.cwd() + "\\n");`;
    const { code, output } = await run(
      "defaults",
      [
        // Only node can run this script: the default shell is the one used.
        { id: "by-default", run: report("default") },
        { id: "own", shell: "bash", "working-directory": ".", run: `echo "own $PWD" >> ${JSON.stringify(path.join(ws, "REPORT"))}` },
      ],
      { defaults: { run: { shell: "node {0}", "working-directory": "sub" } } },
    );
    assert.equal(code, 0, output);
    assert.equal(await readFile(path.join(ws, "REPORT"), "utf8"), `default ${path.join(ws, "sub")}\nown ${ws}\n`);
  });

  it("a step written with GitHub's uses: fails saying that a plan spells it use:", async () => {
    const { code, output } = await run("uses-key", [{ id: "act", uses: "./somewhere" } as Partial<PlanStep>], {});
    assert.notEqual(code, 0, output);
    assert.match(output, /step has neither run nor use \(GitHub's uses: is spelled use: in an orun plan\)/);
  });

  it("refuses a defaults entry GitHub does not have, naming it", async () => {
    const { code, output } = await run("bad-defaults", [{ id: "s", run: "true" }], { defaults: { run: { shel: "sh" } } });
    assert.notEqual(code, 0, output);
    assert.match(output, /job app@dev\.bad-defaults: "defaults\.run\.shel" is not a run default \(only shell and working-directory are\)/);
  });
});
