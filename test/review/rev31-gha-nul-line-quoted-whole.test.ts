// rev31 review: user30 (d46a011) and fix30 (008054d) cut a malformed GITHUB_ENV/OUTPUT/STATE line to 80 characters in
// the step's error — "a 1 MB line went whole into the run's output and state.json". Its sibling error is not cut: a
// GITHUB_ENV name or a GITHUB_PATH entry holding a NUL byte is quoted whole with JSON.stringify (command-run.ts), so a
// step writing a 2 MB line with a NUL in it puts all 2 MB into the summary and the record's state.json.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("rev31: orun run --gha, a huge GITHUB_ENV name or GITHUB_PATH entry with a NUL byte", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev31-gha-nul");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("is quoted cut short in the step's error, as a malformed line is", async () => {
    const huge = "$(yes x | head -c 2000000 | tr -d '\\n')";
    const cases = [
      ["envname", `printf '%s\\0%s=v\\n' "${huge}" x >> "$GITHUB_ENV"`, /GITHUB_ENV: "x+/],
      ["pathentry", `printf '%s\\0\\n' "${huge}" >> "$GITHUB_PATH"`, /GITHUB_PATH: "x+/],
    ] as const;
    const sizes: string[] = [];
    for (const [name, run, shown] of cases) {
      await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, [{ id: "w", run }])], name)));
      const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "" }, timeoutMs: 60_000 });
      assert.equal(r.code, 1, `${name}: ${r.stderr.slice(0, 500)}`);
      assert.match(r.stdout, shown, name);
      const state = await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8");
      if (r.stdout.length >= 10_000 || state.length >= 10_000) sizes.push(`${name}: ${r.stdout.length} characters of output, state.json ${state.length}`);
    }
    assert.deepEqual(sizes, []);
  });
});
