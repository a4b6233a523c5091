// Step semantics the way GitHub's runner has them: implicit `success()` for
// steps without `if:`, the final result of a retried step, continue-on-error
// expressions, post hooks after a cancel. Actions are written into a real
// temp workspace; the runner runs them as real processes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeHarness, makeJob, runJob, type Harness } from "./helpers.js";

/** Writes `<workspace>/<dir>/action.yml` (and any extra files) and returns `./<dir>`. */
async function writeAction(h: Harness, dir: string, yaml: string, files: Record<string, string> = {}): Promise<string> {
  const root = path.join(h.workspace, dir);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, "action.yml"), yaml);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  return `./${dir}`;
}

describe("github-actions runner: step conditions and results", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("skips composite steps without if: after a failing child (implicit success()), runs always()/failure() ones", async () => {
    const use = await writeAction(
      h,
      "acts/deploy",
      `name: deploy
runs:
  using: composite
  steps:
    - run: echo building; exit 1
      shell: bash
    - run: touch DEPLOYED
      shell: bash
    - if: success()
      run: touch EXPLICIT_SUCCESS
      shell: bash
    - if: failure()
      run: echo "status=\${{ job.status }}" > RECOVERED
      shell: bash
    - if: \${{ always() }}
      run: touch ALWAYS
      shell: bash
`,
    );
    const outer = await writeAction(
      h,
      "acts/outer",
      `name: outer
runs:
  using: composite
  steps:
    - uses: ${use}
    - run: touch OUTER_NEXT
      shell: bash
`,
    );
    const jobDir = path.join(h.workspace, "deploy-job");
    const r = await runJob(h, makeJob("web@dev.deploy", [{ id: "d", use }]), { jobDir });
    assert.match(r.steps[0].error ?? "", /^deploy › step 1: exit status 1$/);
    assert.equal(r.steps[0].exitCode, 1);
    assert.ok(!existsSync(path.join(jobDir, "DEPLOYED")), "a step without if: does not run after a failure");
    assert.ok(!existsSync(path.join(jobDir, "EXPLICIT_SUCCESS")));
    assert.equal(await readFile(path.join(jobDir, "RECOVERED"), "utf8"), "status=failure\n");
    assert.ok(existsSync(path.join(jobDir, "ALWAYS")));

    // Nested: the inner composite's failure stops the outer one's later steps too.
    const nestedDir = path.join(h.workspace, "nested-job");
    const n = await runJob(h, makeJob("web@dev.nested", [{ id: "o", use: outer }]), { jobDir: nestedDir });
    assert.match(n.steps[0].error ?? "", /deploy › step 1: exit status 1/);
    assert.ok(!existsSync(path.join(nestedDir, "DEPLOYED")));
    assert.ok(!existsSync(path.join(nestedDir, "OUTER_NEXT")));
    assert.ok(existsSync(path.join(nestedDir, "ALWAYS")));
  });

  it("runs a job-level step without if: when the runtime runs it after a failure (onFailure: continue, post-phase clean-up)", async () => {
    const jobDir = path.join(h.workspace, "job-level");
    const guarded = { id: "guarded", if: "success()", run: "touch GUARDED" };
    const r = await runJob(
      h,
      makeJob("web@dev.joblevel", [
        { id: "fails", run: "exit 3" },
        { id: "cleanup", run: "touch CLEANED" },
        guarded,
      ]),
      { jobDir, stopOnFailure: false },
    );
    assert.equal(r.steps[0].error, "exit status 3");
    assert.equal(r.steps[1].error, undefined);
    assert.ok(existsSync(path.join(jobDir, "CLEANED")));
    assert.ok(!existsSync(path.join(jobDir, "GUARDED")), "an explicit if: success() still sees the failure");
  });
});
