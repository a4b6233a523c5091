// The docker runner's sweep of containers left by crashed runs must never
// touch a live run's: an orun in another pid namespace of the same host name
// (a container sharing the host's name, as with --network host, driving the
// host's engine) has pids this orun cannot see.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob } from "../../src/model/plan.js";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";

const availability = await provideContainerEngine();
// A pid namespace of our own needs root (CI runs as root to install the engine).
const unshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]);
const noNamespaces = unshare.status === 0 ? undefined : `unshare --pid is not available here: ${String(unshare.stderr || unshare.error?.message).trim()}`;
if (noNamespaces && process.env.ORUN_REQUIRE_ENGINES === "1") throw new Error(`ORUN_REQUIRE_ENGINES=1: ${noNamespaces}`);

function plan(job: PlanJob): Plan {
  return { apiVersion: PLAN_API_VERSION, kind: PLAN_KIND, metadata: { name: "docker14-sweep" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
}

function job(id: string, run: string): PlanJob {
  const [component = "", rest = ""] = id.split("@");
  const [environment = "", name = ""] = rest.split(".");
  return { id, name, component, environment, steps: [{ id: "s1", phase: "main", run }] };
}

describe("orun run --runner docker next to a run in another pid namespace", { skip: availability.skip ?? noNamespaces }, () => {
  const engine = availability.engine!;
  const execId = `d14-ns-${process.pid}`;
  let dir = "";

  after(async () => {
    const listed = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${execId}`]);
    const ids = listed.stdout.split("\n").filter(Boolean);
    if (ids.length) await docker(engine, ["rm", "--force", ...ids]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("leaves the other run's container alone", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "orun-docker14-ns-"));
    const env = { ...engine.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
    // Run A (its own pid namespace) waits inside its container until ./go exists.
    await writeFile(path.join(dir, "a.json"), JSON.stringify(plan(job("api@dev.a", "touch started; while [ ! -e go ]; do sleep 0.05; done; echo finished > a.out"))));
    await writeFile(path.join(dir, "b.json"), JSON.stringify(plan(job("api@dev.b", "true"))));
    const runA = spawn("unshare", ["--pid", "--fork", "--mount-proc", process.execPath, ORUN_BIN, "run", "a.json", "--runner", "docker", "--exec-id", execId], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let outputA = "";
    runA.stdout.on("data", (chunk: Buffer) => (outputA += chunk.toString()));
    runA.stderr.on("data", (chunk: Buffer) => (outputA += chunk.toString()));
    const exitedA = new Promise<number | null>((resolve) => runA.once("close", resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!existsSync(path.join(dir, "started"))) {
        assert.ok(Date.now() < deadline && runA.exitCode === null, `run A never started its step: ${outputA}`);
        await delay(50);
      }
      // Run B, in this namespace, sweeps orphans as it prepares.
      const runB = await runOrun(["run", "b.json", "--runner", "docker"], { cwd: dir, env });
      assert.equal(runB.code, 0, `${runB.stdout}${runB.stderr}`);
      await writeFile(path.join(dir, "go"), "");
      assert.equal(await exitedA, 0, `run A lost its container: ${outputA}`);
    } finally {
      runA.kill("SIGKILL");
    }
    assert.equal(await readFile(path.join(dir, "a.out"), "utf8"), "finished\n");
  });
});
