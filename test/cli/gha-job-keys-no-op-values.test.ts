// orun run --gha with GitHub job keys whose values change nothing on GitHub either (container: "", services: {},
// if: true, continue-on-error: false): the job runs; other values are refused naming the job, the key and the
// plan (rev15gha #6). A bad ORUN_GHA_CANCEL_GRACE is refused naming the variable (#9).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: GitHub job keys with no-op values", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("fixgha15-job-keys");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  async function run(name: string, jobKeys: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string; ran: boolean }> {
    const marker = `RAN-${name}`;
    const job = Object.assign(makeJob(`app@dev.${name}`, [{ id: "s", run: `touch ${marker}` }]), jobKeys);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job], name)));
    const result = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: ghaEnv(ws, env) });
    return { code: result.code, output: result.stdout + result.stderr, ran: existsSync(path.join(ws, marker)) };
  }

  it("container: '' / null / false, services: {}, strategy: {}, if: true / '${{ true }}', continue-on-error: false / 'false': the job runs", async () => {
    const { code, output, ran } = await run("no-ops", { container: "", services: {}, strategy: {}, if: true, "continue-on-error": false });
    assert.equal(code, 0, output);
    assert.ok(ran);
    const other = await run("no-ops-2", { container: null, if: "${{ true }}", "continue-on-error": "false" });
    assert.equal(other.code, 0, other.output);
    assert.ok(other.ran);
    const off = await run("no-ops-3", { container: false });
    assert.equal(off.code, 0, off.output);
  });

  it("if: false, continue-on-error: true, a container image: refused naming job, key and plan; no step runs", async () => {
    for (const [key, value] of [
      ["if", false],
      ["continue-on-error", true],
      ["container", "node:20"],
    ] as const) {
      const name = `refused-${key}`;
      const { code, output, ran } = await run(name, { [key]: value });
      assert.notEqual(code, 0, output);
      assert.match(output, new RegExp(`job app@dev\\.${name}: "${key}" is not supported by the github-actions runner: .* \\(in plan ${name}\\.json\\)`));
      assert.ok(!ran);
      assert.ok(!existsSync(path.join(ws, ".orun", "executions", name)), "refused before a record is made");
    }
  });

  it("ORUN_GHA_CANCEL_GRACE=banana is refused naming the variable and what it takes", async () => {
    const { code, output, ran } = await run("grace", {}, { ORUN_GHA_CANCEL_GRACE: "banana" });
    assert.notEqual(code, 0, output);
    assert.match(output, /ORUN_GHA_CANCEL_GRACE: invalid duration "banana"/);
    assert.match(output, /Go duration such as 30s/);
    assert.ok(!ran);
    assert.ok(!existsSync(path.join(ws, ".orun", "executions", "grace")), "refused before a record is made");
  });
});
