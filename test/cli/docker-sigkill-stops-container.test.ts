// `orun run --runner docker` killed with SIGKILL (no clean-up runs): the job's
// container must stop at once — it would otherwise go on running the step, and
// writing to the workspace, next to a resumed run — a resume with any runner
// runs the job again from its first step, and the next docker run removes the
// stopped container.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";

const availability = await provideContainerEngine();

function plan(jobs: Plan["jobs"]): Plan {
  return { apiVersion: PLAN_API_VERSION, kind: PLAN_KIND, metadata: { name: "docker14-kill" }, execution: { concurrency: 2, failFast: false }, spec: {}, jobs };
}

describe("orun run --runner docker killed with SIGKILL", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const execIds: string[] = [];
  const dirs: string[] = [];
  const containersOf = async (execId: string): Promise<string[]> => {
    const listed = await docker(engine, ["ps", "--all", "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\n").filter(Boolean);
  };

  after(async () => {
    for (const execId of execIds) {
      const names = await containersOf(execId).catch(() => []);
      if (names.length) await docker(engine, ["rm", "--force", ...names]);
    }
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("stops the killed run's container at once, and a resume with another runner re-runs the job alone", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "orun docker14 kill "));
    dirs.push(dir);
    const execId = `d14-kill-${process.pid}`;
    execIds.push(execId, `${execId}-next`);
    // The first attempt beats until it is stopped; the resumed one (./second exists) finishes.
    const job = {
      id: "api@dev.beat",
      name: "beat",
      component: "api",
      environment: "dev",
      steps: [
        { id: "prepare", phase: "main" as const, run: 'echo "$ORUN_RUNNER" >> prepared' },
        { id: "beat", phase: "main" as const, run: "if [ -e second ]; then echo done > result; exit 0; fi; while :; do echo x >> beats; sleep 0.1; done" },
      ],
    };
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan([job])));
    const env = { ...engine.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
    const orun = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--exec-id", execId], { cwd: dir, env, stdio: "ignore" });
    const exited = new Promise((resolve) => orun.once("close", resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!existsSync(path.join(dir, "beats"))) {
        assert.ok(Date.now() < deadline && orun.exitCode === null, "the step never started beating");
        await delay(50);
      }
      assert.equal((await containersOf(execId)).length, 1, "the job runs in its container");
    } finally {
      orun.kill("SIGKILL");
      await exited;
    }

    // No clean-up ran; the container stops by itself, with the step in it.
    const stopped = Date.now() + 15_000;
    const running = async (): Promise<string[]> => {
      const listed = await docker(engine, ["ps", "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
      return listed.stdout.split("\n").filter(Boolean);
    };
    while ((await running()).length > 0) {
      assert.ok(Date.now() < stopped, "the container of the killed run still runs 15 s after the kill");
      await delay(200);
    }
    const beats = await readFile(path.join(dir, "beats"), "utf8");
    await delay(500);
    assert.equal(await readFile(path.join(dir, "beats"), "utf8"), beats, "the step stopped beating with its container");
    // The record holds plain files only: reading a FIFO left there (an artifact upload of .orun/) would block.
    const entries = await readdir(path.join(dir, ".orun"), { recursive: true, withFileTypes: true });
    assert.deepEqual(entries.filter((entry) => entry.isFIFO()).map((entry) => entry.name), [], "no FIFO left in the execution record");

    // A resume with the local runner: the interrupted job runs again from its first step, and nothing else writes.
    await writeFile(path.join(dir, "second"), "");
    const resumed = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", execId], { cwd: dir, env });
    assert.equal(resumed.code, 0, `${resumed.stdout}${resumed.stderr}`);
    assert.equal(await readFile(path.join(dir, "prepared"), "utf8"), "docker\nlocal\n", "the resumed job starts over");
    assert.equal(await readFile(path.join(dir, "result"), "utf8"), "done\n");
    assert.equal(await readFile(path.join(dir, "beats"), "utf8"), beats);
    // The next docker run on this host removes the stopped container.
    const next = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", `${execId}-next`], { cwd: dir, env });
    assert.equal(next.code, 0, `${next.stdout}${next.stderr}`);
    assert.deepEqual(await containersOf(execId), [], "the killed run's container was removed");
  });
});
