// The spawn helper (orun-spawn) that starts each docker step's `docker exec` dies mid-step (OOM killer, a
// stray kill): it takes the CLI down, the step still runs in the container. orun stops the step and says
// what happened; it said "lost the connection to the container engine", which sent users to the engine.
// Later steps start without the helper (through pipes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { ORUN_BIN } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { until } from "../support/wait.js";
import { planJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();

/** The orun-spawn child of `parent`, from /proc. */
function helperOf(parent: number): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [, comm = "", rest = ""] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
      if (comm === "orun-spawn" && Number(rest.split(" ")[1]) === parent) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

test("docker runner: the spawn helper killed mid-step — the step is stopped and the error names the helper; the next job runs", { skip: availability.skip }, async (t) => {
  const workspace = await tempWorkspace("orun-rev16ci-helper-");
  t.after(() => workspace.remove());
  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "rev16ci-helper" },
    execution: { concurrency: 1, failFast: false },
    spec: {},
    jobs: [
      planJob("a@dev.long", [{ id: "s", run: "echo started; sleep 30; echo finished > finished" }]),
      planJob("b@dev.after", [{ id: "s", run: "echo second-ran" }], { dependsOn: [] }),
    ],
  };
  await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan));
  const env = { ...availability.engine!.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--verbose", "--exec-id", "gone"], { cwd: workspace.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill("SIGKILL"));
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));

  await until(() => /│ started$/m.test(output), "the first step to start", 60_000);
  const helper = helperOf(child.pid!);
  assert.ok(helper, "orun runs the step through its spawn helper");
  process.kill(helper, "SIGKILL");

  assert.equal(await closed, 1, output);
  const state = JSON.parse(await readFile(path.join(workspace.dir, ".orun/executions/gone/state.json"), "utf8")) as { jobs: Record<string, { status: string; lastError?: string }> };
  assert.equal(state.jobs["a@dev.long"]!.lastError, "step s: the spawn helper (orun-spawn) exited while the step ran; the step was stopped");
  assert.equal(state.jobs["b@dev.after"]!.status, "completed");
  assert.match(output, /│ second-ran$/m);
});
