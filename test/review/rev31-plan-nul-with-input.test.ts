// rev31 review: a NUL byte in a step's `with:` value is refused by `orun run` at load (e0eda83, rev30b #5), but
// `orun plan` writes it — written in compositions.yaml (the schema's freeMap takes any text) or rendered from a
// parameter (materialize skips `with:` fields). The plan then cannot be run, and planning again cannot help:
// the very case user30's plan-time refusals were added for (`orun run <id>` says "run orun plan again to write it
// anew", which writes the same plan; `orun run` alone compiles afresh and runs it).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("orun plan refuses a NUL byte in a step's with: value, written or rendered from a parameter, as orun run does at load", async () => {
  const cases: [string, string, Record<string, string>][] = [
    ["written in the with: value", DEV_API, { "comps/svc/compositions.yaml": SVC.replace('tmpl: "{{.orun.job.id}}"', 'tmpl: "a\\0b"') }],
    [
      "rendered from a parameter",
      DEV_API + '    parameters: { note: "a\\0b" }\n',
      { "comps/svc/compositions.yaml": SVC.replace('tmpl: "{{.orun.job.id}}"', 'tmpl: "{{.parameters.note}}"') },
    ],
  ];
  const wrong: string[] = [];
  for (const [what, intent, files] of cases) {
    const dir = await writeRepo(baseRepo(intent, files));
    const planned = await runOrun(["plan"], { cwd: dir });
    // What happens today: the plan is written, and a run of the stored plan is refused at load, advising to plan again.
    const id = /orun run ([0-9a-f]{12})/.exec(planned.stdout)?.[1];
    const run = planned.code === 0 && id ? await runOrun(["run", id, "--dry-run"], { cwd: dir }) : undefined;
    if (planned.code !== 1 || !/compositions\.yaml:\d+: .*with.*NUL byte/.test(planned.stderr)) {
      wrong.push(`${what}: orun plan exited ${planned.code}; the stored plan's run: ${run?.stderr ?? "(not run)"}`);
    } else if (await fs.stat(path.join(dir, ".orun/plans")).catch(() => undefined)) wrong.push(`${what}: a plan was stored`);
  }
  assert.deepEqual(wrong, []);
});
