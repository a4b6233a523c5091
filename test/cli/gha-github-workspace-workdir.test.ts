// Seed 000: "When the GitHub Actions backend is selected and --workdir is not explicitly set, orun uses
// GITHUB_WORKSPACE when that variable is available" (spec 20 §1 step 7, conformance case 5): a plan file run from
// outside an intent under --gha runs its jobs in $GITHUB_WORKSPACE (their paths beneath it); an explicit --workdir
// wins; another runner, or no GITHUB_WORKSPACE, keeps the current folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, removeDir, tempDir } from "../runtime/helpers.js";

test("case 5: --gha without --workdir runs in $GITHUB_WORKSPACE; --workdir wins; local or no variable keeps the current folder", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.root", steps: [{ id: "where", run: 'pwd -P > "$MARK/root.$ROUND"' }] },
    { id: "api@dev.svc", path: "svc", steps: [{ id: "where", run: 'pwd -P > "$MARK/svc.$ROUND"' }] },
  ]);
  const workspace = await tempDir("orun-gh-ws-");
  const marks = await tempDir("orun-gh-marks-");
  t.after(() => removeDir(workspace));
  t.after(() => removeDir(marks));
  for (const base of [workspace, dir]) await mkdir(path.join(base, "svc"));
  const override = path.join(dir, "elsewhere");
  await mkdir(path.join(override));

  const rounds: [string, string[], Record<string, string>][] = [
    ["gha", ["--gha"], { GITHUB_WORKSPACE: workspace }],
    ["gha-workdir", ["--gha", "--workdir", "elsewhere"], { GITHUB_WORKSPACE: workspace }],
    ["local", ["--runner", "local"], { GITHUB_WORKSPACE: workspace }],
    ["gha-unset", ["--gha"], { GITHUB_WORKSPACE: "" }],
  ];
  for (const [round, flags, env] of rounds) {
    const run = await runOrun(["run", "plan.json", "--exec-id", round, ...flags], { cwd: dir, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", MARK: marks, ROUND: round, ...env } });
    assert.equal(run.code, 0, `${round}: ${run.stdout}${run.stderr}`);
  }
  const where = async (job: string, round: string): Promise<string> => (await readFile(path.join(marks, `${job}.${round}`), "utf8")).trim();
  const [ws, here, elsewhere] = [await realpath(workspace), await realpath(dir), await realpath(override)];
  assert.equal(await where("root", "gha"), ws);
  assert.equal(await where("svc", "gha"), path.join(ws, "svc"), "job paths resolve under GITHUB_WORKSPACE");
  // --workdir overrides every job's folder, job paths included.
  assert.equal(await where("root", "gha-workdir"), elsewhere);
  assert.equal(await where("svc", "gha-workdir"), elsewhere);
  assert.equal(await where("root", "local"), here, "GITHUB_WORKSPACE is for the github-actions runner only");
  assert.equal(await where("svc", "local"), path.join(here, "svc"));
  assert.equal(await where("root", "gha-unset"), here);
});
