// `orun logs --step <key>` takes a key or a part of one; a whole key of a step of the jobs listed selects that
// step only: `--step dock` printed `dock` and `dockimg` both, with no way to ask for `dock` alone.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, svcComposition, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const steps = `        - name: dock
          run: echo from-dock
        - name: dockimg
          run: echo from-dockimg
        - name: build
          run: echo from-build
`;

test("logs --step with a whole step key shows that step only; a part of keys still shows each step it is part of", async () => {
  const dir = await writeRepo(baseRepo(DEV_API, { "comps/svc/compositions.yaml": svcComposition(steps) }));
  const run = await runOrun(["run", "--runner", "local", "--exec-id", "e1"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);

  const exact = await runOrun(["logs", "--exec-id", "e1", "--step", "dock"], { cwd: dir });
  assert.equal(exact.code, 0, exact.stderr);
  assert.match(exact.stdout, /from-dock\n/);
  assert.ok(!exact.stdout.includes("from-dockimg"), exact.stdout);
  assert.ok(!exact.stdout.includes("from-build"), exact.stdout);

  const part = await runOrun(["logs", "--exec-id", "e1", "--step", "doc"], { cwd: dir });
  assert.equal(part.code, 0, part.stderr);
  assert.match(part.stdout, /from-dock\n/);
  assert.match(part.stdout, /from-dockimg\n/);
  assert.ok(!part.stdout.includes("from-build"), part.stdout);

  const other = await runOrun(["logs", "--exec-id", "e1", "--step", "dockimg"], { cwd: dir });
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stdout, /from-dockimg\n/);
  assert.ok(!/from-dock\n/.test(other.stdout), other.stdout);
});
