// `orun run --runner docker -v` names each step's working directory as the step sees it, its place under
// /workspace in the container (what `pwd` prints there), not the host folder that is mounted there. The built
// binary on a real engine.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND } from "../../../src/model/plan.js";
import { runOrun } from "../../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../../support/container-engine.js";
import { planJob, tempWorkspace } from "./contexts.js";

const availability = await provideContainerEngine();

describe("orun run --runner docker -v: a step's working directory", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const removals: Array<() => Promise<void>> = [];
  after(async () => {
    await Promise.all(removals.map((remove) => remove()));
  });

  it("is shown as the container's /workspace path, the one the step runs in", async () => {
    const workspace = await tempWorkspace("orun-docker-workdir-");
    removals.push(workspace.remove);
    await mkdir(path.join(workspace.dir, "comp/sub"), { recursive: true });
    const plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "workdir" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [planJob("app@dev.build", [{ id: "here", run: "pwd" }, { id: "deeper", run: "pwd", "working-directory": "sub" }], { path: "comp" })],
    };
    await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan, null, 2));
    const env = { ...engine.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never", NO_COLOR: "1" };
    const run = await runOrun(["run", "plan.json", "--runner", "docker", "-v", "--exec-id", "workdir-1"], { cwd: workspace.dir, env, timeoutMs: 180_000 });
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /● here \(1\/2\) {2}cwd \/workspace\/comp\n {6}│ \/workspace\/comp\n/);
    assert.match(run.stdout, /● deeper \(2\/2\) {2}cwd \/workspace\/comp\/sub\n {6}│ \/workspace\/comp\/sub\n/);
    assert.ok(!run.stdout.includes(workspace.dir), run.stdout);
  });
});
