// `orun run --runner docker -v` canceled (Ctrl-C) while the runner pulls the job's image: no step started, so the
// output shows no `▶` start line for the job — only that it was not run (`○ build  skipped · run canceled`). Before,
// `▶ build` was printed as the set-up began and stood above the skip. A job that does start still shows its `▶`,
// before its first step. Real orun processes and a real container engine; the pull goes to a loopback "registry"
// that accepts the connection and never answers, so the cancel lands during the pull.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { planDir } from "../runtime/helpers.js";
import { startOrun } from "../runners/github-actions/helpers.js";

const availability = await provideContainerEngine();

describe("docker runner -v: a cancel during the image pull", { skip: availability.skip }, () => {
  const engine = availability.engine!;

  it("shows no ▶ start line for the job it kept from starting; a job that starts shows it before its first step", async (t) => {
    const sockets: Socket[] = [];
    const registry = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      registry.close();
    });
    const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/orun/never:1`;
    const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }], {}, "orun-docker-pull-cancel-");

    const orun = startOrun(["run", "plan.json", "--runner", "docker", "--docker-image", image, "--pull", "always", "-v", "--exec-id", "p1"], dir, engine.env);
    try {
      await until(() => sockets.length > 0, "the engine to connect to the registry");
      process.kill(orun.pid, "SIGINT");
      assert.equal(await orun.exited, 130, orun.output());
    } finally {
      orun.kill();
    }
    assert.match(orun.output(), /○ build {2}skipped · run canceled\n/);
    assert.doesNotMatch(orun.output(), /▶/);

    // The same job with an image at hand: its ▶ comes, and before its step.
    const ran = await runOrun(["run", "plan.json", "--runner", "docker", "--docker-image", TEST_IMAGE, "--pull", "never", "-v", "--exec-id", "p2"], { cwd: dir, env: engine.env });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /▶ build\n {6}● s1 \(1\/1\)/);
  });
});
