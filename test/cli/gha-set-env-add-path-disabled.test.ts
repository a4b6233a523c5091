// orun run --gha and the workflow commands GitHub disabled (CVE-2020-15228): `::set-env` and `::add-path::`
// printed by a step — a pull request title echoed to the log, say — must not change the environment of
// later steps. As on GitHub they fail the step unless its env opts in (ACTIONS_ALLOW_UNSECURE_COMMANDS: true).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { runOrun } from "../support/cli.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: set-env and add-path are disabled, as on GitHub", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha14-commands");
  });
  after(async () => rm(ws, { recursive: true, force: true }));
  const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: "", ACTIONS_ALLOW_UNSECURE_COMMANDS: "" };
  const disabled = (name: string): string =>
    `The \`${name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`.`;

  async function run(name: string, steps: (Partial<PlanStep> & { "continue-on-error"?: boolean })[]): Promise<{ code: number | null; out: string }> {
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, steps)], name)));
    const r = await runOrun(["run", `${name}.json`, "--gha", "--verbose", "--exec-id", name], { cwd: ws, env, timeoutMs: 60_000 });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it("a step printing ::set-env / ::add-path:: fails with GitHub's message and changes nothing for later steps", async () => {
    const title = "::set-env name=EVIL::from-a-pr-title";
    const r = await run("refused", [
      { id: "echo-title", run: `echo '${title}'; echo '::add-path::${ws}/evil-bin'`, "continue-on-error": true },
      { id: "after", run: 'echo "EVIL=${EVIL-unset}" > AFTER; echo "$PATH" >> AFTER' },
    ]);
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.includes(`error: Unable to process command '::set-env name=EVIL::from-a-pr-title' successfully. ${disabled("set-env")}`), r.out);
    assert.ok(r.out.includes(`error: Unable to process command '::add-path::${ws}/evil-bin' successfully. ${disabled("add-path")}`), r.out);
    const after = await readFile(path.join(ws, "AFTER"), "utf8");
    assert.match(after, /^EVIL=unset\n/);
    assert.ok(!after.includes("evil-bin"), after);
    const log = await readFile(new ExecutionStore(ws).stepLogFile("refused", "app@dev.refused", "echo-title"), "utf8");
    assert.match(log, /Unable to process command '::set-env name=EVIL::from-a-pr-title' successfully/);

    const failing = await run("refused-fails", [{ id: "only", run: `echo '${title}'` }, { id: "next", run: "touch NEXT_RAN" }]);
    assert.equal(failing.code, 1, failing.out);
    assert.ok(!existsSync(path.join(ws, "NEXT_RAN")), "the step failed, so the job stopped");
  });

  it("a step whose env sets ACTIONS_ALLOW_UNSECURE_COMMANDS=true may use them", async () => {
    const r = await run("allowed", [
      { id: "opt-in", run: `echo '::set-env name=OPTED::yes'; echo '::add-path::${ws}/opted-bin'`, env: { ACTIONS_ALLOW_UNSECURE_COMMANDS: "true" } },
      { id: "after", run: 'echo "OPTED=$OPTED" > OPTED; echo "$PATH" >> OPTED' },
    ]);
    assert.equal(r.code, 0, r.out);
    const after = await readFile(path.join(ws, "OPTED"), "utf8");
    assert.match(after, new RegExp(`^OPTED=yes\\n${ws.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/opted-bin:`));
  });
});

describe("orun run --gha: a malformed GITHUB_ENV line", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha30-env-file");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("a huge line, key or delimiter is quoted cut short in the step's error (it was printed whole, 1 MB into the summary and the record)", async () => {
    // 1 MB of `x` without a line break, made by the step (an environment value cannot be that long).
    const huge = "$(yes x | head -c 2000000 | tr -d '\\n')";
    for (const [name, line, shown] of [
      ["noequals", huge, /GITHUB_ENV line 1: invalid file-command assignment "x{20,80}…\n/],
      ["heredoc", `${huge}<<${huge}`, /GITHUB_ENV line 1: matching delimiter "x{20,80}… not found for "x{20,80}…\n/],
    ] as const) {
      await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, [{ id: "w", run: `printf '%s\\n' "${line}" >> "$GITHUB_ENV"` }])], name)));
      const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "" }, timeoutMs: 60_000 });
      assert.equal(r.code, 1, name);
      assert.match(r.stdout, shown, name);
      assert.ok(r.stdout.length < 10_000, `${name}: ${r.stdout.length} characters of output`);
      const state = await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8");
      assert.ok(state.length < 10_000, `${name}: state.json holds ${state.length} characters`);
    }
  });
});
