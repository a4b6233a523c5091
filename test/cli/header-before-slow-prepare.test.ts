// Without remote state a run prints its header before its runner prepares, however long that takes (docker asking an
// engine that is slow to answer): the user sees what runs while it waits. Under remote state the runner prepares
// first (test/remote/prepare-failure-registers-nothing.test.ts). Real processes: `orun run --runner docker` against a
// loopback "engine" that takes connections and never answers.
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { killAllChildren, spawnOrun } from "../remote/processes.js";
import { until } from "../support/wait.js";
import { planDir } from "../runtime/helpers.js";

test("a local run's header comes before a slow runner prepare ends", async (t) => {
  const held: net.Socket[] = [];
  const engine = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  // Registered before planDir's removal of the folder (after hooks run in order): orun is killed before its folder goes.
  t.after(() => {
    killAllChildren();
    for (const socket of held) socket.destroy();
    engine.close();
  });
  const { port } = engine.address() as net.AddressInfo;
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }], { name: "slow-prepare" });

  const run = spawnOrun(["run", "plan.json", "--runner", "docker", "--exec-id", "slow-1"], { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
  // orun exiting first (no docker CLI, a refused engine) fails on its own output, not on a timeout.
  await until(() => held.length > 0 || run.child.exitCode !== null, "the runner's prepare to ask the engine", 60_000);
  assert.equal(run.child.exitCode, null, `orun ended before its prepare asked the engine: ${run.output()}`);
  await until(() => /\n {2}Plan: [0-9a-f]{12} {2}· {2}Run: slow-1\n/.test(run.output()) || run.child.exitCode !== null, "the run header", 60_000);
  assert.match(run.output(), /\n {2}Plan: [0-9a-f]{12} {2}· {2}Run: slow-1\n/);
  assert.equal(run.child.exitCode, null, `the prepare has not ended: ${run.output()}`);
  // No job has started: a started job prints its component·environment group (or its ID in other modes).
  assert.doesNotMatch(run.output(), /prepare runner docker|api@dev\.build|\n {2}api {2}· {2}dev\n/);
});
