// (rev28) inside GitHub Actions orun hides in its output the values a step masked (`::add-mask::`), learned from the
// step's output as it runs. A resume now skips the steps a job completed (step28, local runner): the skipped step does
// not run, so the value it masked is never learned — and a later step of the job that prints it (from the job's folder,
// which the resume relies on) prints it in clear, in its group title and its output. Before step28 the step ran
// again and masked it again. Its kept log (the record keeps the skipped steps' logs) holds the `::add-mask::` line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const SECRET = "s3cr3t-token-value";

test("a resume inside GitHub Actions still hides what a step it skips masked in the earlier run", async (t) => {
  const dir = await planDir(t, [
    {
      id: "app@dev.a",
      steps: [
        { id: "mint", run: `echo ${SECRET} > token; echo '::add-mask::${SECRET}'; echo minted` },
        { id: "use", run: `echo "using $(cat token)"; [ -f fixed ] || exit 3` },
      ],
    },
  ]);
  const env = { GITHUB_ACTIONS: "true" };
  const first = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local"], { cwd: dir, env });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stdout, /using \*\*\*/, "the first run hides it");

  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local"], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /01 mint {2}cached/, "the resume skipped `mint`");
  // Only the runner's `::add-mask::` line may hold it (the runner hides it, as in the first run).
  const clear = `${resumed.stdout}\n${resumed.stderr}`.split("\n").filter((line) => line.includes(SECRET) && !line.startsWith("::add-mask::"));
  assert.deepEqual(clear, [], `the masked value printed in clear:\n${resumed.stdout}`);
});
