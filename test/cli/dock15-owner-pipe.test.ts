// A step that reopens its job container's owner pipe for writing — through the
// pipe reader's /proc/<pid>/fd/0, the one way to it once the container has
// unlinked the FIFO — would keep the container (and the step) alive after orun
// was killed. The reader runs as another user than the steps, so not even a
// root step may open its descriptors (that takes CAP_SYS_PTRACE).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { ORUN_BIN } from "../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";

const availability = await provideContainerEngine();

describe("orun run --runner docker: the owner pipe against a step that reopens it", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const execId = `dock15-pipe-${process.pid}`;
  const dirs: string[] = [];
  const containers = async (...filters: string[]): Promise<string[]> => {
    const listed = await docker(engine, ["ps", ...filters, "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\n").filter(Boolean);
  };

  after(async () => {
    const names = await containers("--all").catch(() => []);
    if (names.length) await docker(engine, ["rm", "--force", ...names]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("stops the job container when orun is killed, though a root step tried to hold the pipe open through /proc", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "orun-dock15-pipe-"));
    dirs.push(dir);
    // Every FIFO that is some process's stdin is opened for writing by a background process of the step,
    // which then lives on; 'held' says one of them got it. The image's user is root.
    const run = [
      'for fd in /proc/[0-9]*/fd/0; do [ -p "$fd" ] || continue; ( exec 3>"$fd" && touch /workspace/held && exec sleep 600 ) 2>/dev/null & done',
      "sleep 0.5; id -u > uid; touch started; sleep 600",
    ].join("; ");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "dock15-pipe" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [{ id: "api@dev.hold", name: "hold", component: "api", environment: "dev", steps: [{ id: "hold", phase: "main", run }] }],
    };
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
    const env = { ...engine.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
    const orun = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--exec-id", execId], { cwd: dir, env, stdio: "ignore" });
    const exited = new Promise((resolve) => orun.once("close", resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!existsSync(path.join(dir, "started"))) {
        assert.ok(Date.now() < deadline && orun.exitCode === null, "the step never started");
        await delay(50);
      }
    } finally {
      orun.kill("SIGKILL");
      await exited;
    }
    const stopBy = Date.now() + 15_000;
    while ((await containers()).length > 0) {
      assert.ok(Date.now() < stopBy, "the job container runs on after orun was killed: a step holds its owner pipe open");
      await delay(200);
    }
    assert.ok(!existsSync(path.join(dir, "held")), "the step could not open the pipe reader's descriptor");
  });
});
