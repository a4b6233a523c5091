// camp22 finding 5: `--changed` selects components by their own files (spec 12 §6.2) and does not follow the
// composition packages they compile with. A change that rewrote every service's deploy steps in a local (dir)
// package planned 0 jobs with exit 0 and not a word; only --explain listed the file. Now a warning names the files
// and the source, in `orun plan` and a `orun run --changed` dry-run alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

const WARNING =
  "⚠ warning: 2 changed files are in composition source example-stack (compositions), which --changed does not follow (it selects components by their own files), though the jobs of the components using it may change; see --explain, or plan without --changed\n";

test("--changed warns when changed files lie in a local composition source; a change elsewhere gets no such warning", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const files = "compositions/stack.yaml,compositions/compositions/README.md";
  const plan = await runOrun(["plan", "--changed", "--files", files], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stderr.includes(WARNING), plan.stderr);
  assert.match(plan.stdout, /→ 0 jobs/);

  const run = await runOrun(["run", "--changed", "--files", files, "--dry-run"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stderr.includes(WARNING), run.stderr);

  const elsewhere = await runOrun(["plan", "--changed", "--files", "README.md"], { cwd: dir });
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.doesNotMatch(elsewhere.stderr, /composition source/);
  // From another folder (--files are relative to it), the source is still named from the intent's folder.
  const base = path.basename(dir);
  const outsideFiles = files.split(",").map((file) => `${base}/${file}`).join(",");
  const fromOutside = await runOrun(["plan", "-i", path.join(dir, "intent.yaml"), "--changed", "--files", outsideFiles], { cwd: path.dirname(dir) });
  assert.equal(fromOutside.code, 0, fromOutside.stderr);
  assert.ok(fromOutside.stderr.includes(WARNING), fromOutside.stderr);
});

test("get components --changed prints the same composition-source warning as plan --changed, JSON output too", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const files = "compositions/stack.yaml,compositions/compositions/README.md";
  for (const extra of [[], ["-o", "json"]]) {
    const get = await runOrun(["get", "components", "--changed", "--files", files, ...extra], { cwd: dir });
    assert.equal(get.code, 0, get.stderr);
    assert.ok(get.stderr.includes(WARNING), `${extra.join(" ")}:\n${get.stderr}`);
  }
  const json = await runOrun(["get", "components", "--changed", "--files", files, "-o", "json"], { cwd: dir });
  assert.deepEqual(JSON.parse(json.stdout), []);
  const elsewhere = await runOrun(["get", "components", "--changed", "--files", "README.md"], { cwd: dir });
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.doesNotMatch(elsewhere.stderr, /composition source/);
});
