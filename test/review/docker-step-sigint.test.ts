// rev27: the docker runner's recording wrapper (c5beb95) runs the step's command inside a pipeline put in the
// background (`… | tee … &`). sh (job control off) starts an asynchronous list with SIGINT and SIGQUIT ignored, so
// every step now inherits them ignored: a `trap … INT` in the step is refused silently and `kill -INT` does nothing.
// The local runner, and the docker runner before c5beb95, gave the step the default dispositions.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createDockerRunner } from "../../src/runners/docker/index.js";
import type { Runner } from "../../src/runners/runner.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { jobContext, planJob, runContext, runJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();

describe("rev27: a docker step's signal dispositions", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let workspace: { dir: string; remove: () => Promise<void> };
  let runner: Runner;
  before(async () => {
    workspace = await tempWorkspace();
    runner = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, engine.env);
  });
  after(async () => {
    await runner.cleanup?.(runContext(workspace.dir, []));
    await workspace.remove();
  });

  it("a step's trap on SIGINT runs when the step sends itself SIGINT (as under the local runner)", async () => {
    const job = planJob("web@dev.sigint", [{ run: "sh -c 'trap \"echo got-int; exit 0\" INT; kill -INT $$; sleep 1; echo no-int'" }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.output, "got-int\n", result?.output);
  });
});
