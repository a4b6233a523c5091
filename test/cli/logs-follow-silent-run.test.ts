// `orun logs --follow` on a finished run whose steps printed nothing says so, as `orun logs` does, rather than
// printing nothing at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("logs --follow of a finished run with no step output says why there are no logs", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.quiet", steps: [{ run: "true" }] }]);
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  assert.equal((await orun("run", "plan.json", "--exec-id", "s")).code, 0);
  const message = "No logs for this run: it completed and no step printed any output.\n";
  assert.equal((await orun("logs")).stdout, message);
  const followed = await orun("logs", "--follow");
  assert.deepEqual([followed.code, followed.stdout], [0, message]);
  // Under --raw, what is not a log goes to stderr.
  const raw = await orun("logs", "--follow", "--raw");
  assert.deepEqual([raw.code, raw.stdout, raw.stderr], [0, "", message]);
});
