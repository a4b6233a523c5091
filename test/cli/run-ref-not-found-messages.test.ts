// Newcomer audit (fuprun15): `orun run <ref>` that names nothing says what it looked for — a missing plan file
// by its path, anything else as neither a stored plan nor a component, listing both — never naming the
// --component flag the user did not type. Real processes, real files in temp dirs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";
import { planDir } from "../runtime/helpers.js";

after(cleanupRepos);

const BODY = `environments:
  dev: {}
components:
  - name: api
    type: svc
    subscribe: { environments: [dev] }
  - name: web
    type: svc
    subscribe: { environments: [dev] }
`;

test("in an intent: a missing plan file is named by its path; a word is neither a stored plan nor a component", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  assert.equal((await runOrun(["plan", "--name", "nightly"], { cwd: dir })).code, 0);
  for (const ref of ["./nosuch.json", "nosuch.yaml", "plans/x.json"]) {
    const run = await runOrun(["run", ref], { cwd: dir });
    assert.equal(run.code, 1, ref);
    assert.equal(run.stderr, `✕ plan file ${ref} not found (looked for ${path.join(dir, ref)})\n`);
  }
  const word = await runOrun(["run", "nosuchplan"], { cwd: dir });
  assert.equal(word.code, 1);
  assert.doesNotMatch(word.stderr, /--component/);
  assert.match(word.stderr, /^✕ nosuchplan is neither a stored plan nor a component\n\navailable components:\n {2}api\n {2}web\n\nstored plans:\n {2}latest\n/);
  assert.match(word.stderr, /\n {2}nightly\n/);
  // A typo still gets the planner's did-you-mean.
  const typo = await runOrun(["run", "wbe"], { cwd: dir });
  assert.match(typo.stderr, /^✕ wbe is neither a stored plan nor a component\n\ndid you mean:\n {2}web\n/);
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), [], "nothing was recorded");
  // What does exist still runs.
  assert.equal((await runOrun(["run", "api", "--dry-run"], { cwd: dir })).code, 0);
});

test("without an intent: a missing plan file by its path; a word lists the stored plans", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "true" }] }]);
  const file = await runOrun(["run", "./nosuch.json"], { cwd: dir });
  assert.equal(file.code, 1);
  assert.equal(file.stderr, `✕ plan file ./nosuch.json not found (looked for ${path.join(dir, "nosuch.json")})\n`);
  const word = await runOrun(["run", "nosuchplan"], { cwd: dir });
  assert.equal(word.code, 1);
  assert.equal(word.stderr, `✕ nosuchplan is neither a stored plan nor a component\n\nno intent.yaml found from ${dir}, so it cannot name a component\n\nstored plans: none (orun plan stores one)\n`);
  // The plan file that is there runs.
  assert.equal((await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir })).code, 0);
});
