// A container step of the github-actions runner (a `uses: docker://…` step, a docker container action)
// cannot reach the execution record through its /github/workspace mount: the record (`.orun`) is mounted
// read-only over its place there and the folders between are pinned, as in the docker runner's job
// containers (src/runners/docker/record-mask.ts). Regression: such a step could forge state.json,
// metadata.json and other jobs' logs, or move and relink .orun.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { recordMask } from "../../../src/runners/docker/record-mask.js";
import { GITHUB_WORKSPACE_DIR } from "../../../src/runners/github-actions/docker-action.js";
import { runOrun } from "../../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../../support/container-engine.js";
import { makeJob, makePlan } from "./helpers.js";

const availability = await provideContainerEngine();

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface State {
  jobs: Record<string, { status: string; steps: Record<string, string> }>;
}

/** Shell lines trying to forge, move or relink the record; each one that succeeds prints GOT THROUGH. */
function hostileScript(execId: string): string {
  const record = `${GITHUB_WORKSPACE_DIR}/.orun/executions/${execId}`;
  const attempts = [
    `printf '{"jobs":{}}' > ${record}/state.json`,
    `echo forged > ${record}/metadata.json`,
    `echo forged > ${record}/logs/app@dev.a/say.log`,
    `ln -s ${GITHUB_WORKSPACE_DIR}/planted ${record}/logs/app@dev.c`,
    `mkdir -p ${GITHUB_WORKSPACE_DIR}/.orun/plans/forged`,
    `mv ${GITHUB_WORKSPACE_DIR}/.orun ${GITHUB_WORKSPACE_DIR}/moved`,
    `rm -rf ${GITHUB_WORKSPACE_DIR}/.orun`,
    `ln -sfn ${GITHUB_WORKSPACE_DIR}/planted ${GITHUB_WORKSPACE_DIR}/.orun`,
  ];
  return ["mkdir -p planted", ...attempts.map((attempt) => `if ${attempt} 2>/dev/null; then echo "GOT THROUGH: ${attempt.replace(/"/g, "")}"; fi`)].join("\n");
}

describe("the execution record inside github-actions container steps", { skip: availability.skip }, () => {
  const engine = availability.engine!;

  it("cannot be forged, moved or relinked by a docker:// step or a docker action; the record stays valid and status tells the truth", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "orun-gha-record-"));
    roots.push(root);
    const ws = path.join(root, "ws");
    const action = path.join(ws, "actions", "hostile");
    await mkdir(action, { recursive: true });
    const execId = `gha-record-forge-${process.pid}`;
    const script = hostileScript(execId);
    await writeFile(path.join(action, "action.yml"), `name: hostile\nruns:\n  using: docker\n  image: docker://${TEST_IMAGE}\n  entrypoint: /github/action/hostile.sh\n`);
    await writeFile(path.join(action, "hostile.sh"), `#!/bin/sh\n${script}\necho action-done > out/action.txt\n`);
    await chmod(path.join(action, "hostile.sh"), 0o755);
    const plan = makePlan(
      [
        makeJob("app@dev.a", [{ id: "say", run: "echo a-output; mkdir -p out" }]),
        {
          ...makeJob("app@dev.b", [
            { id: "url", use: `docker://${TEST_IMAGE}`, with: { entrypoint: "sh", args: ["-c", `${script}\necho url-done > out/url.txt`] } },
            { id: "action", use: "./actions/hostile" },
          ]),
          dependsOn: ["app@dev.a"],
        },
        { ...makeJob("app@dev.c", [{ id: "show", run: "echo c-output; cat out/url.txt out/action.txt" }]), dependsOn: ["app@dev.b"] },
      ],
      "gha-record-forge",
    );
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(plan));
    const env = { DOCKER_HOST: engine.dockerHost || undefined, GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_ACTIONS_CACHE: path.join(root, "cache") };
    const result = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", execId, "--verbose"], { cwd: ws, env, timeoutMs: 120_000 });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, output);
    assert.doesNotMatch(output, /GOT THROUGH/, "every attempt on the record failed");
    // The steps ran, and their ordinary writes to the workspace went through.
    assert.equal(await readFile(path.join(ws, "out/url.txt"), "utf8"), "url-done\n");
    assert.equal(await readFile(path.join(ws, "out/action.txt"), "utf8"), "action-done\n");

    const orunDir = path.join(ws, ".orun");
    const recordDir = path.join(orunDir, "executions", execId);
    assert.ok((await lstat(orunDir)).isDirectory(), ".orun is still the real folder");
    assert.deepEqual(await readdir(path.join(ws, "planted")), [], "nothing was written through a planted link");
    assert.ok((await lstat(path.join(recordDir, "logs", "app@dev.c"))).isDirectory());
    const state = JSON.parse(await readFile(path.join(recordDir, "state.json"), "utf8")) as State;
    assert.deepEqual(Object.fromEntries(Object.entries(state.jobs).map(([id, job]) => [id, job.status])), {
      "app@dev.a": "completed",
      "app@dev.b": "completed",
      "app@dev.c": "completed",
    });
    const metadata = JSON.parse(await readFile(path.join(recordDir, "metadata.json"), "utf8")) as { status: string };
    assert.equal(metadata.status, "completed");
    const aLog = await readFile(path.join(recordDir, "logs", "app@dev.a", "say.log"), "utf8");
    assert.match(aLog, /a-output/);
    assert.doesNotMatch(aLog, /forged/);
    assert.equal(existsSync(path.join(orunDir, "plans", "forged")), false);

    const status = await runOrun(["status", "--exec-id", execId, "--json"], { cwd: ws, env });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { state: State };
    assert.deepEqual(Object.values(shown.state.jobs).map((job) => job.status), ["completed", "completed", "completed"]);
    const logs = await runOrun(["logs", "--exec-id", execId, "--job", "app@dev.c", "--raw"], { cwd: ws, env });
    assert.match(logs.stdout, /c-output\nurl-done\naction-done/);
  });
});

describe("recordMask at /github/workspace", () => {
  it("pins the folders between the workspace and the record, and mounts the record read-only, under the given container path", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "orun-gha-mask-"));
    roots.push(root);
    const record = path.join(root, "ws", "app", ".orun");
    await mkdir(record, { recursive: true });
    const mask = recordMask(path.join(root, "ws"), record, GITHUB_WORKSPACE_DIR);
    assert.equal(mask.error, undefined);
    assert.deepEqual(
      mask.mounts?.map((mount) => [mount.target, mount.readOnly]),
      [
        ["/github/workspace/app", false],
        ["/github/workspace/app/.orun", true],
      ],
    );
  });
});
