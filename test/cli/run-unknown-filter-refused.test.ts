// `orun run --component <typo>` / `-e <typo>` / `--job <typo>`: refused with the names there are (and a
// did-you-mean) before any record is made, so `latest` keeps pointing at the last real run. A name the intent
// knows but the plan has no job for stays a warning with a record (a CI matrix leg with nothing to do).
// Real CLI on a copy of the platform example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("a --component, -e or --job naming nothing the intent has is an error before any record; latest stays", async (t) => {
  const dir = await tempDir("orun-unknown-filter-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const executions = path.join(dir, ".orun/executions");
  const first = await runOrun(["run", "--exec-id", "first", "--component", "site"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const records = async (): Promise<string[]> => (await readdir(executions)).sort();
  const before = await records();

  const refusals: [string[], RegExp][] = [
    [["run", "--component", "sitee"], /^✕ --component: no component matched "sitee"\n\ndid you mean:\n {2}site\n\navailable components:\n {2}api\n {2}shared-lib\n {2}site\n {2}worker\n/],
    [["run", "--component", "site,wbe"], /^✕ --component: no component matched "wbe"\n/],
    [["run", "latest", "-e", "prodution"], /^✕ --env: no environment matched "prodution"\n\ndid you mean:\n {2}production\n/],
    [["run", "latest", "--component", "sitee", "--background"], /^✕ --component: no component matched "sitee"/],
    [["run", "--job", "api@dev.biuld"], /^✕ job not found: api@dev\.biuld \(did you mean api@dev\.build\?\)/],
  ];
  for (const [args, message] of refusals) {
    const refused = await runOrun(args, { cwd: dir, env: LOCAL_ENV });
    assert.equal(refused.code, 1, `${args.join(" ")}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, message, args.join(" "));
    assert.deepEqual(await records(), before, `${args.join(" ")} made no record`);
    assert.equal(await readlink(path.join(executions, "latest")), "first", `${args.join(" ")} left latest alone`);
  }

  // Known to the intent, without a job in this plan (a dev-only plan run for staging): a warning, and the run's record.
  const plan = await runOrun(["plan", "-e", "dev", "-o", "dev.json"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(plan.code, 0, plan.stderr);
  const leg = await runOrun(["run", "dev.json", "-e", "staging", "--exec-id", "leg"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(leg.code, 0, leg.stdout + leg.stderr);
  assert.match(leg.stderr, /warning: --env staging matches no job of the plan \(it has dev\)/);
  assert.ok((await records()).includes("leg"), "the leg's run is recorded");
});
