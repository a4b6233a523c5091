// A step of the docker runner sees the workspace, and with it the execution record under .orun. The
// `docker exec` CLI's output went to a file in the record's scratch folder (tmp/docker-output), which orun
// opens by name once the step has run a moment: a step could swap its own output file for a link to any
// host file orun may read (outside the container, outside the workspace), and orun printed that file as
// the step's output — into the log the step can read back (rev16ci #4). The output files now live outside
// the workspace, where no step reaches them, in a folder named after the orun process: a run removes its own,
// and the next run removes one a killed run left (of its own pid namespace only: judged by this namespace's
// pids, a live run's folder under `unshare --pid` looked dead and was removed mid-step). Likewise a job's script folder (host side of the read-only
// /__orun/scripts mount), which is in the record: a step that swapped it for a link to a host folder had the
// next script-file step's script written into that host folder (rev16ci #5). The record is now read-only
// inside the container (record-mask.ts), so the swap itself fails; script-file.ts still refuses a replaced
// folder (test/runners/docker/script-file.test.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readlinkSync, watch } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { planJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();

async function outputDirs(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((name) => name.startsWith("orun-docker-out-"));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("docker runner: a step's output file is out of the step's reach", { skip: availability.skip }, () => {
  let workspace: { dir: string; remove: () => Promise<void> };
  let hostDir: string;
  before(async () => {
    workspace = await tempWorkspace("orun-rev16ci-link-");
    hostDir = await mkdtemp(path.join(os.tmpdir(), "orun-rev16ci-host-"));
  });
  after(async () => {
    await workspace.remove();
    await rm(hostDir, { recursive: true, force: true });
  });

  it("a step that swaps its output file for a link to a host file does not get that file printed", async () => {
    const secret = path.join(hostDir, "secret");
    await writeFile(secret, "host-only-secret-4f1c\n");
    // Any output file of a running docker exec the step can find from the workspace, replaced by a link.
    const swap = [
      "found=0",
      "for f in $(find /workspace -name 'orun-out-*' -type f 2>/dev/null); do rm -f \"$f\"; ln -s " + secret + " \"$f\"; found=1; done",
      "echo found=$found",
      "sleep 1",
    ].join("; ");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "rev16ci-link" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [planJob("a@dev.swap", [{ id: "swap", run: swap }])],
    };
    await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan));
    // The folder of a killed run (its pid gone) of this host.
    const host = createHash("sha256").update(os.hostname()).digest("hex").slice(0, 8);
    const namespace = /^pid:\[(\d+)\]$/.exec(readlinkSync("/proc/self/ns/pid"))![1];
    const deadPid = spawnSync("true").pid!;
    // A temp folder of the run's own (TMPDIR): the shared one holds the folders of other test files' docker runs,
    // killed ones' among them, and what this run sweeps there is theirs to lose.
    const tmp = path.join(hostDir, "tmp");
    await mkdir(tmp);
    const stale = path.join(tmp, `orun-docker-out-${namespace}-${host}-${deadPid}-x-rev16ci`);
    // Another pid namespace's folder, whose pid means nothing here: left alone.
    const foreign = path.join(tmp, `orun-docker-out-1-${host}-${deadPid}-x-rev16ci`);
    await mkdir(foreign, { recursive: true });
    await mkdir(stale, { recursive: true });
    const before = new Set(await outputDirs(tmp));
    const env = { ...availability.engine!.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never", TMPDIR: tmp };
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--verbose", "--exec-id", "swap"], { cwd: workspace.dir, env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /host-only-secret/, "a host file outside the workspace was printed as the step's output");
    assert.match(result.stdout, /found=0/, "no output file of orun's is within the step's reach");
    assert.ok(!existsSync(stale), "a killed run's folder is removed by the next run");
    assert.ok(existsSync(foreign), "another pid namespace's folder is left alone");
    await rm(foreign, { recursive: true, force: true });
    const left = (await outputDirs(tmp)).filter((name) => !before.has(name) && name !== path.basename(foreign) && !processAlive(Number(name.split("-")[5])));
    assert.deepEqual(left, [], "the run removed its own folder");
  });

  it("a step cannot swap the job's script folder for a link to a host folder: the record is read-only in the container", async () => {
    const target = path.join(hostDir, "target");
    await mkdir(target);
    const written: string[] = [];
    const watcher = watch(target, (_event, name) => written.push(String(name)));
    try {
      const swap = "d=$(find /workspace/.orun -type d -path '*/tmp/docker/*/scripts' | head -1); [ -n \"$d\" ] || exit 9; if mv \"$d\" \"$d.old\" && ln -s " + target + " \"$d\"; then echo swapped; else echo refused; fi";
      const plan: Plan = {
        apiVersion: PLAN_API_VERSION,
        kind: PLAN_KIND,
        metadata: { name: "rev16ci-scripts" },
        execution: { concurrency: 1, failFast: true },
        spec: {},
        jobs: [planJob("a@dev.scripts", [{ id: "swap", run: swap }, { id: "file", shell: "sh {0}", run: "echo from-a-script-file" }])],
      };
      await writeFile(path.join(workspace.dir, "scripts.json"), JSON.stringify(plan));
      const env = { ...availability.engine!.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
      const result = await runOrun(["run", "scripts.json", "--runner", "docker", "--verbose", "--exec-id", "swap-scripts"], { cwd: workspace.dir, env, timeoutMs: 120_000 });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Read-only file system/);
      assert.match(result.stdout, /│ refused$/m);
      assert.match(result.stdout, /│ from-a-script-file$/m, "the script folder is intact: the next step's script runs from it");
      await new Promise((resolve) => setTimeout(resolve, 200)); // watch events arrive asynchronously
      assert.deepEqual(written, [], "nothing was written into the host folder");
    } finally {
      watcher.close();
    }
  });
});
