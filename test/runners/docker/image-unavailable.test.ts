// A docker job whose image cannot be had (not present with --pull never, or a pull that fails) never starts:
// none of its steps runs, so none is recorded failed — its post-phase step included, which used to be run
// after the failed start, failed the same way (a second pull) and was shown as `post1 (failed, no output)`.
// The job is failed with the image error as its reason, shown once by the run, `orun status` and `orun logs`.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../../src/model/plan.js";
import { runOrun } from "../../support/cli.js";
import { provideContainerEngine } from "../../support/container-engine.js";
import { planJob } from "./contexts.js";

const availability = await provideContainerEngine();

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface State {
  jobs: Record<string, { status: string; steps: Record<string, string>; lastError?: string }>;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe("a docker job whose image cannot be had", { skip: availability.skip }, () => {
  const engine = availability.engine!;

  const runCase = async (name: string, runsOn: string | undefined, flags: string[]) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "orun-docker-image-unavailable-"));
    roots.push(dir);
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [
        planJob(
          "app@dev.build",
          [
            { id: "main1", run: "echo main > main.txt" },
            { id: "post1", phase: "post", run: "echo post > post.txt" },
          ],
          runsOn === undefined ? {} : { runsOn },
        ),
      ],
    };
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
    const execId = `${name}-${process.pid}`;
    const env = { ...engine.env, ORUN_DOCKER_IMAGE: "", ORUN_DOCKER_PULL: "" };
    const run = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId, ...flags], { cwd: dir, env, timeoutMs: 120_000 });
    const state = JSON.parse(await readFile(path.join(dir, ".orun", "executions", execId, "state.json"), "utf8")) as State;
    const status = await runOrun(["status", "--exec-id", execId, "--detailed"], { cwd: dir, env });
    const logs = await runOrun(["logs", "--exec-id", execId], { cwd: dir, env });
    return { dir, run, state, status, logs };
  };

  const assertNothingRan = async (result: Awaited<ReturnType<typeof runCase>>, reason: string) => {
    const { dir, run, state, status, logs } = result;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const job = state.jobs["app@dev.build"]!;
    assert.equal(job.status, "failed");
    assert.match(job.lastError ?? "", new RegExp(`^start job: docker runner: .*${reason}`));
    assert.deepEqual(job.steps, { main1: "skipped", post1: "skipped" }, "no step ran, so none is failed");
    await assert.rejects(readFile(path.join(dir, "post.txt")), "the post step never ran");

    assert.equal(count(run.stdout + run.stderr, reason), 1, run.stdout + run.stderr);

    assert.equal(status.code, 0, status.stderr);
    assert.equal(count(status.stdout, reason), 1, status.stdout);
    assert.doesNotMatch(status.stdout, /✗ (main1|post1)/, status.stdout);
    assert.match(status.stdout, /○ post1/, status.stdout);

    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(count(logs.stdout, reason), 1, logs.stdout);
    assert.match(logs.stdout, /app@dev\.build › job start {2}\(failed/, logs.stdout);
    assert.doesNotMatch(logs.stdout, /post1|main1/, logs.stdout);
  };

  it("runsOn naming a missing image with --pull never: the job fails with that reason, no step is recorded failed", async () => {
    const result = await runCase("image-missing", "localhost/orun-no-such-image:1", ["--pull", "never"]);
    await assertNothingRan(result, 'image localhost/orun-no-such-image:1 is not present locally and --pull is "never"');
  });

  it("--docker-image whose pull fails: the job fails with the pull error, no step is recorded failed", async () => {
    const result = await runCase("image-pull-fails", undefined, ["--docker-image", "localhost:1/orun-no-such-image:1", "--pull", "always"]);
    await assertNothingRan(result, "failed to pull image localhost:1/orun-no-such-image:1");
  });
});
