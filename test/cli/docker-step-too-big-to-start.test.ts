// A docker step whose environment or script is too long for the kernel to start `docker exec` (E2BIG): the
// error said "cannot start docker: argument list too long" (spawn helper) or "spawn E2BIG" (pipes), naming
// nothing. It now names the variable, or the script, and its size, as the local runner does.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { oversizedExec, stepExec } from "../../src/runners/docker/container.js";
import { runOrun } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { planJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();

describe("oversizedExec", () => {
  const exec = (env: Record<string, string>, script: string): ReturnType<typeof stepExec> =>
    stepExec({ container: "c", workdir: "/workspace", env, hostEnv: {}, command: ["sh", "-c", script] });
  it("names a variable or the script of 128 KiB or more, and passes anything shorter", () => {
    const env = { HUGE: "x".repeat(200_000) };
    assert.equal(oversizedExec(exec(env, "true"), env), "env variable HUGE is 200005 bytes, over the 128 KiB Linux allows for one (E2BIG)");
    assert.equal(oversizedExec(exec({}, "#".repeat(131_072)), {}), "the step's script is 131072 bytes, over the 128 KiB Linux allows for one argument (E2BIG)");
    const fine = { LARGE: "y".repeat(100_000) };
    assert.equal(oversizedExec(exec(fine, "#".repeat(131_071)), fine), undefined);
  });
});

describe("docker runner: a step too big to start", { skip: availability.skip }, () => {
  let workspace: { dir: string; remove: () => Promise<void> };
  before(async () => {
    workspace = await tempWorkspace("orun-rev16ci-e2big-");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "rev16ci-e2big" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [
        planJob("a@dev.big", [{ id: "s", run: "echo never" }], { env: { SMALL: "1", HUGE: "x".repeat(200_000) } }),
        planJob("a@dev.fine", [{ id: "s", run: 'echo "${#LARGE}" > large.txt' }], { env: { LARGE: "y".repeat(100_000) } }),
      ],
    };
    await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan));
  });
  after(() => workspace.remove());

  for (const spawner of ["native", "direct"]) {
    it(`${spawner} spawns: the error names the variable; a large one within the limit reaches the step`, async () => {
      const env = { ...availability.engine!.env, ORUN_LOCAL_SPAWNER: spawner, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
      const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", spawner], { cwd: workspace.dir, env, timeoutMs: 120_000 });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const state = JSON.parse(await readFile(path.join(workspace.dir, ".orun/executions", spawner, "state.json"), "utf8")) as { jobs: Record<string, { status: string; lastError?: string }> };
      assert.equal(state.jobs["a@dev.big"]!.lastError, "step s: docker runner: cannot start the step: env variable HUGE is 200005 bytes, over the 128 KiB Linux allows for one (E2BIG)");
      assert.equal(state.jobs["a@dev.fine"]!.status, "completed");
      assert.equal(await readFile(path.join(workspace.dir, "large.txt"), "utf8"), "100000\n");
    });
  }
});
