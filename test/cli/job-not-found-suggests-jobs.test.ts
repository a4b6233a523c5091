// `orun plan -v dag` labels each job with its profile's name (`verify` for api@dev.build in the platform example;
// spec 12 §5.3's exact text), and `orun run --job api@dev.verify` then said "job not found" with no did-you-mean
// (camp25 #5): it suggests the jobs of that component and environment. Real CLI on a copy of the platform example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("--job with a name close to none (a dag label) suggests the jobs of that component and environment", async (t) => {
  const dir = await tempDir("orun-dag-labels-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  assert.equal((await runOrun(["plan"], { cwd: dir, env: LOCAL_ENV })).code, 0);
  const refused = await runOrun(["run", "--job", "api@dev.verify"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^✕ job not found: api@dev\.verify \(did you mean api@dev\.build\?\)/);
  const otherEnv = await runOrun(["run", "--job", "api@qa.verify"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(otherEnv.code, 1);
  assert.match(otherEnv.stderr, /^✕ job not found: api@qa\.verify \(did you mean api@dev\.build, api@production\.build, api@staging\.build\?\)/);
});
