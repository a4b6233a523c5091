// The commands a remote runner prints carry the settings it read from the environment, so that pasted into a shell
// without them they do what the runner did: ORUN_CONFIG_DIR for a plan compiled in the run (a component named as the
// plan argument too, and before the `orun plan` that stores a trigger's plan again), ORUN_RUNNER as --runner,
// ORUN_BACKEND_URL as --backend-url. They were left out: the pasted retry failed "no legacy --config-dir fallback",
// "requires --backend-url", or ran with the local runner. A second Ctrl-C named `orun run --exec-id <id>`.
// Real processes: `orun backend serve` on loopback (SQLite), `orun run` runners in a git repository whose intent
// compiles only with ORUN_CONFIG_DIR, the docker runner on the test container engine, each printed command run by
// `sh -c` with no ORUN_* setting but the token.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { GitRepo } from "../planner/changes/git-repo.js";
import { ORUN_BIN } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { until } from "../support/wait.js";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun } from "./processes.js";
import { orunOnPath, runPrinted } from "./retry-bed.js";

/** An intent with no composition sources: its type `shx` comes from the legacy registry in ./reg (ORUN_CONFIG_DIR). */
const LEGACY_INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: legacy}
automation:
  triggerBindings:
    release:
      on: { provider: github, event: push, tags: ["v*"] }
      plan: { scope: full }
environments:
  dev:
    selectors: {components: ["*"]}
    activation:
      triggerRefs: [release]
  prod:
    selectors: {components: ["*"]}
components:
  - name: web
    type: shx
    path: web
  - name: api
    type: shx
    path: api
`;

const JOBS = (run: string): string => `apiVersion: sourceplane.io/v1
kind: JobRegistry
metadata:
  name: shx-jobs
jobs:
  - name: check
    steps:
      - {name: check, run: ${JSON.stringify(run)}}
`;

const engine = await provideContainerEngine();

describe("the commands a remote runner prints carry the runner's environment", () => {
  let repo: GitRepo;
  let bin: string;
  const served = servedBackend("sqlite");
  /** A shell where the printed command is pasted: the token alone (and the container engine), no other ORUN_*. */
  const pasteEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith("ORUN_") || name === "GITHUB_ACTIONS") delete env[name];
    return { ...env, ORUN_TOKEN: served.env().ORUN_TOKEN, ...(engine.engine?.env.DOCKER_HOST ? { DOCKER_HOST: engine.engine.env.DOCKER_HOST } : {}) };
  };
  const runnerEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => served.env({ ORUN_REMOTE_STATE: "true", ORUN_CONFIG_DIR: "reg", ...extra });

  before(async () => {
    repo = GitRepo.create({
      "intent.yaml": LEGACY_INTENT,
      "reg/shx/job.yaml": JOBS("test -f ../fixed-{{.orun.component.name}}"),
      "reg/shx/schema.yaml": "type: object\n",
      "web/.keep": "",
      "api/.keep": "",
      ".gitignore": ".orun/\nbin/\nfixed-*\nstarted\nstopping\n",
    });
    repo.commit("initial");
    bin = await orunOnPath(repo.dir);
  });
  after(() => repo?.remove());

  // -e of a component's plan was left out too: the retry compiled the plan of both environments, which the run refused.
  it("a runner given a component and -e, ORUN_RUNNER=docker and ORUN_BACKEND_URL: its retry repeats them all, and runs pasted without them", async () => {
    assert.ok(engine.engine, `a container engine is needed: ${engine.skip}`);
    const docker = { ORUN_RUNNER: "docker", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never", DOCKER_HOST: engine.engine.env.DOCKER_HOST ?? "" };
    const failed = await spawnOrun(["run", "web", "-e", "dev", "--exec-id", "carry-1"], { cwd: repo.dir, env: runnerEnv(docker) }).done;
    assert.equal(failed.code, 1, failed.output);
    const printed = /again {3}retry web@dev\.check in this run if it failed: (.*)\n/.exec(failed.output)?.[1];
    assert.equal(
      printed,
      `ORUN_CONFIG_DIR=reg ORUN_DOCKER_IMAGE=${TEST_IMAGE} ORUN_DOCKER_PULL=never orun run web -e dev --backend-url ${served.backend.url} --runner docker --job web@dev.check --exec-id carry-1 --remote-state --retry`,
      failed.output,
    );
    await fs.writeFile(path.join(repo.dir, "fixed-web"), "");
    const retried = await runPrinted(printed!, repo.dir, pasteEnv(), bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /↻ retrying job web@dev\.check, which failed in remote run carry-1/);
    assert.match(retried.output, /· docker · /);
  });

  it("a trigger's run: the `orun plan` that stores its plan again sets ORUN_CONFIG_DIR, and pasted without it stores that plan", async () => {
    const failed = await spawnOrun(["run", "--trigger", "release", "--exec-id", "carry-2"], { cwd: repo.dir, env: runnerEnv({}) }).done;
    assert.equal(failed.code, 1, failed.output);
    const planId = /^ {2}Plan: ([0-9a-f]{12}) {2}·/m.exec(failed.output)?.[1];
    assert.ok(planId, failed.output);
    const rebuild = /elsewhere, `([^`]+)` at commit/.exec(failed.output)?.[1];
    assert.equal(rebuild, "ORUN_CONFIG_DIR=reg orun plan --trigger release", failed.output);
    // The retry names the stored plan, which compiles nothing: no ORUN_CONFIG_DIR there.
    assert.match(failed.output, new RegExp(`retry it in this run: orun run ${planId} --backend-url \\S+ --job (web|api)@dev\\.check --exec-id carry-2 --remote-state --retry\\n`));
    await fs.rm(path.join(repo.dir, ".orun"), { recursive: true, force: true });
    const planned = await runPrinted(rebuild!, repo.dir, pasteEnv(), bin);
    assert.equal(planned.code, 0, planned.output);
    assert.ok(existsSync(path.join(repo.dir, ".orun", "plans", `${planId}.json`)), planned.output);
  });

  it("a second Ctrl-C names the runner's command under the run's ID, not `orun run --exec-id <id>`", async (t) => {
    await fs.writeFile(
      path.join(repo.dir, "reg/shx/job.yaml"),
      JOBS("if [ -f ../fixed-{{.orun.component.name}} ]; then exit 0; fi; trap '' INT; trap 'touch ../stopping' TERM; touch ../started; while :; do sleep 1; done"),
    );
    const child = spawn(process.execPath, [ORUN_BIN, "run", "api", "--exec-id", "carry-3"], { cwd: repo.dir, env: { ...process.env, NO_COLOR: "1", ...runnerEnv({ ORUN_RUNNER: "" }) }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    t.after(() => void child.kill("SIGKILL"));
    await until(() => existsSync(path.join(repo.dir, "started")), "the step to start");
    child.kill("SIGINT");
    await until(() => existsSync(path.join(repo.dir, "stopping")), "orun to stop the step");
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    const advice = /\(see orun status; (.*) resumes it\)\n/.exec(stderr)?.[1];
    assert.equal(advice, `ORUN_CONFIG_DIR=reg orun run api --backend-url ${served.backend.url} --exec-id carry-3 --remote-state`, stderr);
  });
});
