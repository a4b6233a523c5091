// Who a job container runs as: the configured user (ORUN_DOCKER_USER / dockerUser) or the image's USER,
// for the container and its steps alike. Regressions of a reverted change that ran the container as
// nobody and only the steps as this user (rev15dock #4, #5): a uid without a passwd entry lost its HOME
// and name on podman, and an image USER the image does not know failed with the CLI's
// "unable to upgrade to tcp" instead of the engine's reason.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createDockerRunner } from "../../../src/runners/docker/index.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { jobContext, planJob, runContext, runJob, tempWorkspace } from "./contexts.js";

const availability = await provideContainerEngine();

describe("docker runner users", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let workspace: { dir: string; remove: () => Promise<void> };
  let podman = false;
  const images: string[] = [];
  const execIds: string[] = [];

  before(async () => {
    workspace = await tempWorkspace("orun-fixdock15-users-");
    const version = await docker(engine, ["version", "--format", "{{range .Server.Components}}{{.Name}} {{end}}"]);
    podman = /podman/i.test(version.stdout);
  });

  after(async () => {
    for (const execId of execIds) {
      const listed = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${execId}`]);
      const ids = listed.stdout.split("\n").filter(Boolean);
      if (ids.length) await docker(engine, ["rm", "--force", ...ids]);
    }
    if (images.length) await docker(engine, ["image", "rm", "--force", ...images]);
    await workspace.remove();
  });

  it("runs the steps of a uid without a passwd entry with a HOME they can write to (podman: the workspace) and their uid", async () => {
    const runner = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never", dockerUser: "1500:1500" }, engine.env);
    await chmod(workspace.dir, 0o777); // as if it were uid 1500's
    const job = planJob("web@dev.home", [{ run: 'id -u; echo "home=$HOME"; id -un 2>&1; if [ "$HOME" != / ]; then mkdir -p "$HOME/.cache" && echo cache-ok; fi' }]);
    const run = runContext(workspace.dir, [job], `fixdock15-home-${process.pid}`);
    execIds.push(run.execId);
    try {
      const [result] = await runJob(runner, jobContext(run, job));
      assert.equal(result?.exitCode, 0, `${result?.error} ${result?.output}`);
      const lines = result!.output.trim().split("\n");
      assert.equal(lines[0], "1500");
      if (podman) {
        // podman gives the container's own user a passwd entry whose home is the working directory.
        assert.equal(lines[1], "home=/workspace");
        assert.equal(lines[2], "1500", "the user has a name");
        assert.equal(lines[3], "cache-ok");
      }
    } finally {
      await runner.cleanup!(run);
    }
  });

  it("names the image's unknown USER in the error when the job container cannot start", async () => {
    const context = path.join(workspace.dir, "ghost-image");
    await mkdir(context);
    await writeFile(path.join(context, "Dockerfile"), `FROM ${TEST_IMAGE}\nUSER orunghost\n`);
    const tag = `localhost/orun-fixdock15-ghost:${process.pid}`;
    const built = await docker(engine, ["build", "--quiet", "--tag", tag, context]);
    assert.equal(built.code, 0, built.stderr);
    images.push(tag);
    const runner = createDockerRunner({ dockerImage: tag, pull: "never", dockerUser: "image" }, engine.env);
    const job = planJob("web@dev.ghost", [{ run: "true" }]);
    const run = runContext(workspace.dir, [job], `fixdock15-ghost-${process.pid}`);
    execIds.push(run.execId);
    try {
      await assert.rejects(runner.startJob!(jobContext(run, job)), (err: Error) => {
        assert.match(err.message, /^docker runner: could not start a container for job web@dev\.ghost from image \S+: .*orunghost/);
        assert.doesNotMatch(err.message, /upgrade to tcp/);
        return true;
      });
    } finally {
      await runner.cleanup!(run);
    }
    const left = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${run.execId}`]);
    assert.equal(left.stdout.trim(), "");
  });
});
