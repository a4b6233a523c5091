// The run folder a job container shares with the host (.orun/executions/<id>/tmp/docker/<container>/run,
// /__orun/run inside) is written by the steps, so orun treats what it finds there as hostile: it never
// deletes into it while the container runs (a step's process swapping a folder for a link mid-delete would
// turn the delete to host files), reads a step's status only from a regular file and only a few bytes of
// it (a FIFO blocked orun for ever, a link to /dev/zero filled its memory), and other local users cannot
// reach the folder at all (they could forge a step's status, or remove the owner pipe).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob } from "../../src/model/plan.js";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";
import { until } from "../support/wait.js";

const availability = await provideContainerEngine();

/** The status file of the step that runs now: <record>.status next to its <record>.pid. */
const STATUS = 'P=$(ls /__orun/run/*.pid); S="${P%.pid}.status"';

function plan(name: string, jobs: Array<{ id: string; runs: string[] }>): Plan {
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name },
    execution: { concurrency: 1, failFast: false },
    spec: {},
    jobs: jobs.map(({ id, runs }): PlanJob => {
      const [component = "", rest = ""] = id.split("@");
      const [environment = "", job = ""] = rest.split(".");
      return { id, name: job, component, environment, steps: runs.map((run, index) => ({ id: `s${index + 1}`, phase: "main", run })) };
    }),
  };
}

interface State {
  jobs: Record<string, { status: string; lastError?: string }>;
}

describe("orun run --runner docker: the run folder against hostile steps and users", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const tag = `fixdock15-${process.pid}`;
  const dirs: string[] = [];
  const env = { ...engine.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
  const workspace = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "orun-fixdock15-"));
    dirs.push(dir);
    return dir;
  };
  const containers = async (execId: string): Promise<string[]> => {
    const listed = await docker(engine, ["ps", "--all", "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\n").filter(Boolean);
  };

  after(async () => {
    const listed = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id`, "--format", "{{.Names}}"]);
    const mine = listed.stdout.split("\n").filter((name) => name.includes(tag));
    if (mine.length) await docker(engine, ["rm", "--force", ...mine]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("never deletes into a step's status path while the container runs, so a link swapped in mid-delete reaches no host file", async () => {
    const dir = await workspace();
    // Host files a step's process tries to have orun delete, by swapping a folder it deletes for a link to them.
    const victim = path.join(dir, "victim");
    await mkdir(victim);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => writeFile(path.join(victim, `f${i}`), "")));
    const execId = `${tag}-delete`;
    const race = [
      STATUS,
      // A folder with a file at the status path: still there in the next step if nothing deleted into it.
      'mkdir -p "$S/d" && echo x > "$S/d/f" && echo "$S" > /workspace/status-path',
      // The reviewer's race: once a delete has begun in $S/s, it becomes a link to the host's victim folder.
      'mkdir -p "$S/s" && (cd "$S/s" && i=0; while [ $i -lt 2000 ]; do : > f$i; i=$((i+1)); done)',
      `setsid sh -c 'while [ "$(ls "$0/s" | wc -l)" -ge 2000 ]; do :; done; mv "$0/s" "$0/t"; ln -s "$1" "$0/s"' "$S" "${victim}" </dev/null >/dev/null 2>&1 &`,
      "exit 0",
    ].join("\n");
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan("fixdock15-delete", [{ id: "api@dev.race", runs: [race, 'test -f "$(cat /workspace/status-path)/d/f"'] }])));
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId], { cwd: dir, env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions", execId, "state.json"), "utf8")) as State;
    assert.equal(state.jobs["api@dev.race"]?.status, "completed", "a step leaving a folder at its status path still succeeds, and that folder stays until the container is gone");
    assert.equal((await readdir(victim)).length, 2000, "no host file was deleted through a link a step swapped in");
    assert.deepEqual(await containers(execId), []);
    // With the container removed, its mount folders (a step's leftovers included) went with it.
    const scratch = path.join(dir, ".orun/executions", execId, "tmp/docker");
    assert.deepEqual(existsSync(scratch) ? await readdir(scratch) : [], []);
  });

  it("keeps the run folder from other local users: its host folder is the orun user's alone (0700)", async () => {
    const dir = await workspace();
    await chmod(dir, 0o755); // a workspace other users may enter, as most are
    const execId = `${tag}-mode`;
    await writeFile(
      path.join(dir, "plan.json"),
      JSON.stringify(plan("fixdock15-mode", [{ id: "api@dev.wait", runs: ["touch /workspace/started; while [ ! -f /workspace/go ]; do sleep 0.1; done; echo tests failed; exit 3"] }])),
    );
    const orun = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--exec-id", execId], { cwd: dir, env, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => orun.once("close", resolve));
    try {
      await until(() => existsSync(path.join(dir, "started")) || orun.exitCode !== null, "the step to start", 60_000);
      assert.equal(orun.exitCode, null, "orun ended before its step started");
      const scratch = path.join(dir, ".orun/executions", execId, "tmp/docker");
      const [name] = await readdir(scratch);
      assert.ok(name, "the job container's mount folder");
      const mounts = path.join(scratch, name);
      assert.equal(statSync(mounts).mode & 0o7777, 0o700, "the container's mount folder is closed to other users");
      const runDir = path.join(mounts, "run");
      const pid = (await readdir(runDir)).find((file) => file.endsWith(".pid"));
      assert.ok(pid, "the step's record");
      if (process.getuid?.() === 0) {
        // The reviewer's forgery: another local user links the step's status to a file saying 0.
        const forged = path.join(os.tmpdir(), `${tag}-zero`);
        await writeFile(forged, "0\n");
        const status = path.join(runDir, pid.replace(/\.pid$/, ".status"));
        const attempt = spawnSync("sh", ["-c", 'ln -s "$0" "$1" && rm -f "$2"', forged, status, path.join(runDir, ".orun-owner")], { uid: 1600, gid: 1600, encoding: "utf8" });
        await rm(forged, { force: true });
        assert.notEqual(attempt.status, 0, "another user could write to the run folder");
        assert.match(attempt.stderr, /Permission denied/);
      }
      await writeFile(path.join(dir, "go"), "");
      assert.equal(await exited, 1, "the step's own exit 3 stands");
    } finally {
      orun.kill("SIGKILL");
      await exited;
    }
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions", execId, "state.json"), "utf8")) as State;
    assert.equal(state.jobs["api@dev.wait"]?.lastError, "step s1: exit status 3");
  });

  it("reads a step's status only from a regular file: a FIFO or a link to /dev/zero there neither blocks orun nor fills its memory", async () => {
    const dir = await workspace();
    const execId = `${tag}-status`;
    await writeFile(
      path.join(dir, "plan.json"),
      JSON.stringify(
        plan("fixdock15-status", [
          // A FIFO whose reader lives on (out of the step's group): orun's open for reading would wait for a writer for ever.
          { id: "api@dev.fifo", runs: [`${STATUS}; mkfifo "$S"; setsid sh -c 'exec 3<"$0"; exec sleep 120' "$S" </dev/null >/dev/null 2>&1 & exit 3`] },
          // The wrapper writes its status through the link; reading it back would never end.
          { id: "api@dev.zero", runs: [`${STATUS}; ln -s /dev/zero "$S"; exit 4`] },
          { id: "api@dev.plain", runs: ["exit 5"] },
        ]),
      ),
    );
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId], { cwd: dir, env, timeoutMs: 120_000 });
    assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions", execId, "state.json"), "utf8")) as State;
    // With no status file to trust, the exec's own status stands once no process of the step's group runs.
    assert.equal(state.jobs["api@dev.fifo"]?.lastError, "step s1: exit status 3");
    assert.equal(state.jobs["api@dev.zero"]?.lastError, "step s1: exit status 4");
    assert.equal(state.jobs["api@dev.plain"]?.lastError, "step s1: exit status 5");
    assert.deepEqual(await containers(execId), []);
  });
});
