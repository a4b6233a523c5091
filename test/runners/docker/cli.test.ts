// `orun run --runner docker` end to end: the built binary, a real engine, real
// execution records. Resume must behave exactly as with the local runner.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../../src/model/plan.js";
import { ORUN_BIN, runOrun } from "../../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { planJob, tempWorkspace } from "./contexts.js";

const availability = await provideContainerEngine();

/** A builds and counts its runs; B (after A) fails until ./allow exists. */
function resumePlan(): Plan {
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "docker-resume" },
    execution: { concurrency: 2, failFast: false },
    spec: {},
    jobs: [
      planJob("api@dev.build", [{ id: "count", run: 'echo "$ORUN_RUNNER/$ORUN_CONTEXT" >> a.count' }]),
      planJob("api@dev.test", [{ id: "gate", run: "test -e allow || exit 4" }, { id: "after", run: "echo ran >> b.count" }], {
        dependsOn: ["api@dev.build"],
      }),
    ],
  };
}

interface StateFile {
  jobs: Record<string, { status: string; steps: Record<string, string>; lastError?: string }>;
}

/** Starts `orun <args>` in the background; `until` waits for files the steps create. */
function startOrun(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let done = false;
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      done = true;
      resolve(code);
    }),
  );
  const until = async (files: string[]): Promise<void> => {
    const deadline = Date.now() + 90_000;
    while (!files.every((file) => existsSync(path.join(cwd, file)))) {
      assert.ok(!done, `orun exited before ${files.join(", ")} appeared: ${output}`);
      assert.ok(Date.now() < deadline, `${files.join(", ")} never appeared: ${output}`);
      await delay(100);
    }
  };
  return { child, exited, until, output: () => output };
}

async function readState(workspace: string, execId: string): Promise<StateFile> {
  return JSON.parse(await readFile(path.join(workspace, ".orun/executions", execId, "state.json"), "utf8")) as StateFile;
}

describe("orun run --runner docker", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const env = () => ({ ...engine.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" });
  let workspaces: Array<{ dir: string; remove: () => Promise<void> }> = [];

  const workspaceWithPlan = async (plan: Plan): Promise<string> => {
    const workspace = await tempWorkspace("orun-docker-cli-");
    workspaces.push(workspace);
    await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan, null, 2));
    return workspace.dir;
  };

  before(() => {
    workspaces = [];
  });
  after(async () => {
    // Leftovers only exist when a test failed half-way; don't leak them into the engine.
    for (const execId of ["resume-1", "ctrl-c", "crash-1"]) {
      const names = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${execId}`]);
      const ids = names.stdout.split("\n").filter(Boolean);
      if (ids.length) await docker(engine, ["rm", "--force", ...ids]);
    }
    await Promise.all(workspaces.map((workspace) => workspace.remove()));
  });

  /** Fails once, resumes with the same exec ID; returns what the steps recorded. */
  const failThenResume = async (runnerArgs: string[], runnerEnv: NodeJS.ProcessEnv) => {
    const dir = await workspaceWithPlan(resumePlan());
    const execId = "resume-1";
    const first = await runOrun(["run", "plan.json", ...runnerArgs, "--exec-id", execId], { cwd: dir, env: runnerEnv });
    assert.notEqual(first.code, 0, `first run must fail: ${first.stdout}${first.stderr}`);
    const failed = await readState(dir, execId);
    assert.equal(failed.jobs["api@dev.build"]?.status, "completed");
    assert.equal(failed.jobs["api@dev.test"]?.status, "failed");
    assert.match(failed.jobs["api@dev.test"]?.lastError ?? "", /exit status 4/);

    await writeFile(path.join(dir, "allow"), "");
    const second = await runOrun(["run", "plan.json", ...runnerArgs, "--exec-id", execId], { cwd: dir, env: runnerEnv });
    assert.equal(second.code, 0, `${second.stdout}${second.stderr}`);
    const resumed = await readState(dir, execId);
    return {
      aCount: await readFile(path.join(dir, "a.count"), "utf8"),
      bCount: await readFile(path.join(dir, "b.count"), "utf8"),
      statuses: Object.fromEntries(Object.entries(resumed.jobs).map(([id, job]) => [id, job.status])),
    };
  };

  it("resumes a failed execution exactly like the local runner", async () => {
    const viaDocker = await failThenResume(["--runner", "docker"], env());
    const viaLocal = await failThenResume(["--runner", "local"], env());
    assert.equal(viaDocker.aCount, "docker/container\n", "the completed job is not re-run on resume");
    assert.equal(viaLocal.aCount, "local/local\n");
    assert.equal(viaDocker.bCount, "ran\n");
    assert.deepEqual(viaDocker.statuses, viaLocal.statuses);
    assert.deepEqual(viaDocker.statuses, { "api@dev.build": "completed", "api@dev.test": "completed" });
    const leftovers = await docker(engine, ["ps", "--all", "--filter", "label=io.orun.exec-id=resume-1", "--format", "{{.Names}}"]);
    assert.equal(leftovers.stdout.trim(), "", "no container outlives the run");
  });

  it("is selected by ORUN_RUNNER=docker, takes --docker-image/--pull and keeps the host env out", async () => {
    const dir = await workspaceWithPlan({
      ...resumePlan(),
      jobs: [
        planJob("web@dev.where", [{ run: 'echo "$ORUN_CONTEXT" > where.txt; cat /etc/hostname >> where.txt; env > env.txt', env: { DECLARED: "yes" } }], {
          runsOn: "ubuntu-22.04",
        }),
      ],
    });
    const result = await runOrun(["run", "plan.json", "--docker-image", TEST_IMAGE, "--pull", "never"], {
      cwd: dir,
      env: { ...engine.env, ORUN_RUNNER: "docker", ORUN_DOCKER_TEST_HOST_ONLY: "host-secret" },
    });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const stepEnv = await readFile(path.join(dir, "env.txt"), "utf8");
    assert.match(stepEnv, /^DECLARED=yes$/m);
    assert.match(stepEnv, /^ORUN_JOB_ID=web@dev\.where$/m);
    assert.doesNotMatch(stepEnv, /host-secret/, "the host environment never reaches the container");
    const [context, hostname] = (await readFile(path.join(dir, "where.txt"), "utf8")).split("\n");
    assert.equal(context, "container");
    assert.notEqual(hostname, (await readFile("/etc/hostname", "utf8").catch(() => "")).trim());
  });

  it("removes running jobs' containers on Ctrl-C", async () => {
    const dir = await workspaceWithPlan({
      ...resumePlan(),
      jobs: ["a", "b"].map((name) => planJob(`api@dev.${name}`, [{ id: "wait", run: `touch started-${name}; sleep 60` }])),
    });
    const orun = startOrun(["run", "plan.json", "--runner", "docker", "--exec-id", "ctrl-c"], dir, env());
    try {
      // Both jobs are inside their containers once their files exist.
      await orun.until(["started-a", "started-b"]);
      const running = await docker(engine, ["ps", "--filter", "label=io.orun.exec-id=ctrl-c", "--format", "{{.Names}}"]);
      assert.equal(running.stdout.trim().split("\n").length, 2, "one container per job");
      orun.child.kill("SIGINT");
      const code = await orun.exited;
      assert.notEqual(code, 0, orun.output());
    } finally {
      orun.child.kill("SIGKILL");
    }
    const leftovers = await docker(engine, ["ps", "--all", "--filter", "label=io.orun.exec-id=ctrl-c", "--format", "{{.Names}}"]);
    assert.equal(leftovers.stdout.trim(), "", "containers removed after Ctrl-C");
    const state = await readState(dir, "ctrl-c");
    assert.match(state.jobs["api@dev.a"]?.lastError ?? "", /canceled/);
  });

  it("resumes after orun was killed with SIGKILL, removing the container it orphaned", async () => {
    const dir = await workspaceWithPlan({
      ...resumePlan(),
      jobs: [planJob("api@dev.crash", [{ id: "work", run: "if [ -e second ]; then echo resumed > result; else touch started; sleep 60; fi" }])],
    });
    const orun = startOrun(["run", "plan.json", "--runner", "docker", "--exec-id", "crash-1"], dir, env());
    await orun.until(["started"]);
    const running = await docker(engine, ["ps", "--all", "--filter", "label=io.orun.exec-id=crash-1", "--format", "{{.Names}}"]);
    assert.equal(running.stdout.trim().split("\n").filter(Boolean).length, 1, "the job runs in its container");
    // SIGKILL: no cleanup runs, the container is orphaned (any later docker run on this host removes it).
    orun.child.kill("SIGKILL");
    await orun.exited;

    await writeFile(path.join(dir, "second"), "");
    const resumed = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", "crash-1"], { cwd: dir, env: env() });
    assert.equal(resumed.code, 0, `${resumed.stdout}${resumed.stderr}`);
    assert.equal(await readFile(path.join(dir, "result"), "utf8"), "resumed\n");
    assert.equal((await readState(dir, "crash-1")).jobs["api@dev.crash"]?.status, "completed");
    const leftovers = await docker(engine, ["ps", "--all", "--filter", "label=io.orun.exec-id=crash-1", "--format", "{{.Names}}"]);
    assert.equal(leftovers.stdout.trim(), "", "the orphan was removed by the next run");
  });

  it("passes env variables named __proto__ and constructor into the container (a plain object's assignment dropped __proto__)", async () => {
    // JSON.parse keeps `__proto__` as an ordinary key (an object literal would set the prototype).
    const jobEnv = JSON.parse('{"__proto__": "from-job", "constructor": "c"}') as Record<string, string>;
    const stepEnv = JSON.parse('{"hasOwnProperty": "h"}') as Record<string, string>;
    const dir = await workspaceWithPlan({
      ...resumePlan(),
      jobs: [planJob("web@dev.proto", [{ run: "env > env.txt", env: stepEnv }], { env: jobEnv })],
    });
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--docker-image", TEST_IMAGE, "--pull", "never"], { cwd: dir, env: engine.env });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const seen = await readFile(path.join(dir, "env.txt"), "utf8");
    assert.match(seen, /^__proto__=from-job$/m);
    assert.match(seen, /^constructor=c$/m);
    assert.match(seen, /^hasOwnProperty=h$/m);
  });

  it("fails the job naming the image when it is missing under --pull never", async () => {
    const dir = await workspaceWithPlan({ ...resumePlan(), jobs: [planJob("web@dev.img", [{ run: "true" }], { runsOn: "localhost/orun-absent:1" })] });
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--pull", "never"], { cwd: dir, env: engine.env });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /localhost\/orun-absent:1 is not present locally/);
    // Like a failed pull, it says where the image came from, so the user knows what to change.
    assert.match(result.stdout + result.stderr, /\(docker image not present locally: it is the runsOn of job img \(component web\); set it to an image present locally\)/);
  });

  it("--pull never on a missing --docker-image names the flag, not the job's runsOn label", async () => {
    const dir = await workspaceWithPlan({ ...resumePlan(), jobs: [planJob("web@dev.img", [{ run: "true" }], { runsOn: "ubuntu-22.04" })] });
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--pull", "never", "--docker-image", "localhost/orun-absent:2"], { cwd: dir, env: engine.env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /\(docker image not present locally: it came from --docker-image \(for jobs whose runsOn is a runner label or empty\); pass an image present locally\)/);
  });

  it("a failed pull's hint names where the image came from: ORUN_DOCKER_IMAGE, not the job's runsOn label", async () => {
    const dir = await workspaceWithPlan({ ...resumePlan(), jobs: [planJob("web@dev.img", [{ run: "true" }], { runsOn: "ubuntu-22.04" })] });
    const result = await runOrun(["run", "plan.json", "--runner", "docker"], { cwd: dir, env: { ...engine.env, ORUN_DOCKER_IMAGE: "localhost:1/orun-absent:1" } });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /failed to pull image localhost:1\/orun-absent:1: .*\(docker image could not be pulled: it came from ORUN_DOCKER_IMAGE \(for jobs whose runsOn is a runner label or empty\); set it to an image this engine can pull, or unset it\)/);
  });

  it("reports an unreachable engine clearly", async () => {
    const dir = await workspaceWithPlan(resumePlan());
    const dead = `unix://${path.join(dir, "no-engine.sock")}`;
    const result = await runOrun(["run", "plan.json", "--runner", "docker"], { cwd: dir, env: { ...env(), DOCKER_HOST: dead } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`no container engine reachable at ${dead.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    // No container was ever started: clean-up has nothing to list, so no warning about listing them.
    assert.doesNotMatch(result.stderr, /could not list this run's containers/);
  });
});
