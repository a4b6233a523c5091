// A Ctrl-C that lands while the docker runner sets a job up (its container created, no step started yet) leaves the job
// recorded not started — skipped, `run canceled`, as the jobs the cancel left in the queue — and its container removed.
// Before, the job was failed "step s1: canceled before it started", as if it had started. The whole runtime
// (executePlan) with the real docker runner against a real engine; the cancel lands the moment startJob has created
// the container.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { executePlan } from "../../../src/runtime/execute.js";
import type { RunEvent } from "../../../src/runtime/events.js";
import { DockerRunner } from "../../../src/runners/docker/index.js";
import { LABEL_EXEC_ID } from "../../../src/runners/docker/container.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { ExecutionStore } from "../../../src/runtime/records/store.js";
import { makePlan, readJson, recordFile, removeDir, tempDir } from "../../runtime/helpers.js";

const availability = await provideContainerEngine();

describe("docker runner: cancel during a job's set-up", { skip: availability.skip }, () => {
  it("a job whose container was being set up when the run was canceled is skipped (run canceled), its container removed", async (t) => {
    const engine = availability.engine!;
    const dir = await tempDir("orun-docker-setup-cancel-");
    t.after(() => removeDir(dir));
    const hostBefore = process.env.DOCKER_HOST;
    t.after(() => void (hostBefore === undefined ? delete process.env.DOCKER_HOST : (process.env.DOCKER_HOST = hostBefore)));
    if (engine.dockerHost) process.env.DOCKER_HOST = engine.dockerHost;
    else delete process.env.DOCKER_HOST;

    const abort = new AbortController();
    const startJob = DockerRunner.prototype.startJob;
    t.after(() => void (DockerRunner.prototype.startJob = startJob));
    DockerRunner.prototype.startJob = async function (this: DockerRunner, ...args: Parameters<typeof startJob>) {
      await startJob.apply(this, args);
      // The Ctrl-C lands once the container is up, before the job's first step.
      abort.abort();
    };

    const execId = `setup-cancel-${Date.now().toString(36)}`;
    const plan = makePlan([{ id: "api@dev.build", steps: [{ run: "touch ran" }] }]);
    const events: RunEvent[] = [];
    const { exitCode } = await executePlan({
      plan,
      storeDir: dir,
      workspaceDir: dir,
      runner: { name: "docker", source: "--runner" },
      runnerOptions: { image: TEST_IMAGE, pull: "never" },
      execId,
      renderer: { handle: (event) => events.push(event), close: () => undefined },
      signal: abort.signal,
      warn: () => undefined,
      stateWriteIntervalMs: 0,
    });

    assert.equal(exitCode, 130);
    // Shown as a job being set up, then not run: never ended, no step started.
    const shown = events.filter((event) => event.type.startsWith("job-") || event.type.startsWith("step-")).map((event) => `${event.type}${"reason" in event ? ` ${event.status} ${event.reason}` : ""}`);
    assert.deepEqual(shown, ["job-start", "job-not-run skipped run canceled"]);
    const state = await readJson<{ jobs: Record<string, { status: string; reason?: string; startedAt?: string; lastError?: string }> }>(recordFile(dir, execId, "state.json"));
    const job = state.jobs["api@dev.build"];
    assert.equal(job?.status, "skipped", JSON.stringify(job));
    assert.equal(job.reason, "run canceled");
    assert.equal(job.startedAt, undefined);
    assert.equal(job.lastError, undefined);
    assert.equal(existsSync(path.join(dir, "ran")), false);
    const left = await docker(engine, ["ps", "-a", "-q", "--filter", `label=${LABEL_EXEC_ID}=${execId}`]);
    assert.equal(left.code, 0, left.stderr);
    assert.equal(left.stdout.trim(), "", "the job's container is still there");
  });

  // The set-up of a resumed job (its image pull, its container) is where a Ctrl-C lands longest. Before, the job's
  // earlier logs were deleted just before the set-up and its failed result replaced with "skipped · run canceled".
  it("a resumed job canceled during its set-up keeps its earlier logs and its earlier (failed) result", async (t) => {
    const engine = availability.engine!;
    const dir = await tempDir("orun-docker-setup-cancel-resumed-");
    t.after(() => removeDir(dir));
    const hostBefore = process.env.DOCKER_HOST;
    t.after(() => void (hostBefore === undefined ? delete process.env.DOCKER_HOST : (process.env.DOCKER_HOST = hostBefore)));
    if (engine.dockerHost) process.env.DOCKER_HOST = engine.dockerHost;
    else delete process.env.DOCKER_HOST;

    const execId = `setup-cancel-resumed-${Date.now().toString(36)}`;
    const plan = makePlan([{ id: "api@dev.build", steps: [{ run: "echo tried; test -f go || exit 1; touch ran" }] }]);
    const run = async (abort: AbortController, events: RunEvent[] = []): Promise<number> =>
      (
        await executePlan({
          plan,
          storeDir: dir,
          workspaceDir: dir,
          runner: { name: "docker", source: "--runner" },
          runnerOptions: { image: TEST_IMAGE, pull: "never" },
          execId,
          renderer: { handle: (event) => events.push(event), close: () => undefined },
          signal: abort.signal,
          warn: () => undefined,
          stateWriteIntervalMs: 0,
        })
      ).exitCode;
    assert.equal(await run(new AbortController()), 1);
    const stateFile = recordFile(dir, execId, "state.json");
    const before = (await readJson<{ jobs: Record<string, { status: string; lastError?: string }> }>(stateFile)).jobs["api@dev.build"];
    assert.equal(before?.status, "failed", JSON.stringify(before));
    assert.match(before.lastError ?? "", /exit status 1/);
    const earlierLog = new ExecutionStore(dir).stepLogFile(execId, "api@dev.build", "s1");
    assert.equal(await readFile(earlierLog, "utf8"), "tried\n");

    const abort = new AbortController();
    const startJob = DockerRunner.prototype.startJob;
    t.after(() => void (DockerRunner.prototype.startJob = startJob));
    DockerRunner.prototype.startJob = async function (this: DockerRunner, ...args: Parameters<typeof startJob>) {
      await startJob.apply(this, args);
      abort.abort();
    };
    const events: RunEvent[] = [];
    assert.equal(await run(abort, events), 130);

    const shown = events.filter((event) => event.type.startsWith("job-") || event.type.startsWith("step-")).map((event) => `${event.type}${"reason" in event ? ` ${event.status} ${event.reason}` : ""}`);
    assert.deepEqual(shown, ["job-start", "job-not-run skipped run canceled: not run this time (its failed result from an earlier run stands)"]);
    assert.deepEqual((await readJson<{ jobs: Record<string, unknown> }>(stateFile)).jobs["api@dev.build"], before);
    assert.equal(await readFile(earlierLog, "utf8"), "tried\n");
    assert.equal(existsSync(path.join(dir, "ran")), false);
  });
});
