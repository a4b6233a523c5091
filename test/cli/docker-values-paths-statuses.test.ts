// `orun run --runner docker` through the built CLI on the edges users hit: a
// workspace path with a space and a colon, step values with newlines, `=`,
// unicode and variables the host's docker CLI reads, exit statuses and what
// the execution record keeps of them.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob, type PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";

const availability = await provideContainerEngine();

function job(id: string, steps: Array<Partial<PlanStep>>, extra: Partial<PlanJob> = {}): PlanJob {
  const [component = "", rest = ""] = id.split("@");
  const [environment = "", name = ""] = rest.split(".");
  return { id, name, component, environment, steps: steps.map((step, index) => ({ id: `s${index + 1}`, phase: "main", ...step })), ...extra };
}

describe("orun run --runner docker on the edges", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const execId = `d14-edges-${process.pid}`;
  let root = "";

  after(async () => {
    const listed = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${execId}`]);
    const ids = listed.stdout.split("\n").filter(Boolean);
    if (ids.length) await docker(engine, ["rm", "--force", ...ids]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("keeps values whole, maps paths and records statuses as the local runner does", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "orun-docker14-"));
    const dir = path.join(root, "my work:space");
    await mkdir(path.join(dir, "sub dir"), { recursive: true });
    const values = { MULTI: "a\nb\n\nc\n", EQ: "x=y==z", UNI: "héllo 🚀 日本", SP: "  lead and trail  ", DOCKER_HOST: "tcp://inner:1", PATH: "/custom/bin:/bin:/usr/bin" };
    const show = Object.keys(values).map((key) => `printf '[%s]' "$${key}"`).join("; ");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "docker14-edges" },
      execution: { concurrency: 3, failFast: false },
      spec: {},
      jobs: [
        job("api@dev.env", [{ run: `{ ${show}; } > env.out`, env: values }]),
        job("api@dev.where", [{ run: 'pwd > "out file.txt"', "working-directory": "sub dir" }]),
        job("api@dev.codes", [{ run: "exit 3" }]),
      ],
    };
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId], {
      cwd: dir,
      env: { ...engine.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" },
    });
    assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
    const expected = Object.values(values).map((value) => `[${value}]`).join("");
    assert.equal(await readFile(path.join(dir, "env.out"), "utf8"), expected);
    assert.equal(await readFile(path.join(dir, "sub dir/out file.txt"), "utf8"), "/workspace/sub dir\n");
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions", execId, "state.json"), "utf8")) as {
      jobs: Record<string, { status: string; lastError?: string }>;
    };
    assert.equal(state.jobs["api@dev.env"]?.status, "completed");
    assert.equal(state.jobs["api@dev.where"]?.status, "completed");
    assert.equal(state.jobs["api@dev.codes"]?.status, "failed");
    assert.equal(state.jobs["api@dev.codes"]?.lastError, "step s1: exit status 3");
    const listed = await docker(engine, ["ps", "--all", "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
    assert.equal(listed.stdout.trim(), "", "every job's container was removed");
  });
});
