// A docker step's log holds exactly the bytes it wrote, as a local step's does (step-env-and-output-bytes-unchanged.test.ts): the docker
// runner handed the scheduler decoded text, so invalid UTF-8 became U+FFFD in logs/<job>/<step>.log and in
// `orun logs --raw`. Both ways of starting `docker exec` (the spawn helper, ORUN_LOCAL_SPAWNER=direct), and a
// multi-byte character split across two reads of a running step. The console still shows decoded text.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { planJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();

describe("docker runner: step logs keep the step's bytes", { skip: availability.skip }, () => {
  let workspace: { dir: string; remove: () => Promise<void> };
  before(async () => {
    workspace = await tempWorkspace("orun-rev16ci-bytes-");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "rev16ci-bytes" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [planJob("a@dev.bytes", [
        { id: "bin", run: "printf '\\377\\376ok\\n'" },
        { id: "split", run: "printf '\\342\\202'; sleep 0.6; printf '\\254\\377\\n'" },
      ])],
    };
    await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan));
  });
  after(() => workspace.remove());

  for (const spawner of ["native", "direct"]) {
    it(`${spawner} spawns: the step logs hold the bytes; the console decodes them`, async () => {
      const env = { ...availability.engine!.env, ORUN_LOCAL_SPAWNER: spawner, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
      const result = await runOrun(["run", "plan.json", "--runner", "docker", "--verbose", "--exec-id", spawner], { cwd: workspace.dir, env, timeoutMs: 120_000 });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const logs = path.join(workspace.dir, ".orun/executions", spawner, "logs/a@dev.bytes");
      assert.deepEqual(await readFile(path.join(logs, "bin.log")), Buffer.from([0xff, 0xfe, 0x6f, 0x6b, 0x0a]));
      assert.deepEqual(await readFile(path.join(logs, "split.log")), Buffer.from([0xe2, 0x82, 0xac, 0xff, 0x0a]));
      assert.match(result.stdout, /\uFFFD\uFFFDok/);
      assert.match(result.stdout, /€\uFFFD/);
    });
  }
});
