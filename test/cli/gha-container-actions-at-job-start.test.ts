// `orun run --gha` (the built binary, real processes, a real container engine) against the local GitHub API
// twin: as GitHub's "Set up job", a remote container action's image is pulled, or its Dockerfile built, and a
// `docker://` step's image pulled, before the job's first step. A pull or build that fails fails the job naming
// the step and the action, and no step (the deploy before it) has run. A `${{ }}` in an action's runs.image,
// which GitHub neither evaluates nor accepts, fails the job there too.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { runOrun } from "../support/cli.js";
import { GitHubApiTwin } from "../support/github-api.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";
import { makeJob, makePlan, makeWorkspace, tempDir } from "../runners/github-actions/helpers.js";

const availability = await provideContainerEngine();

describe("github-actions: remote container actions are pulled or built before a job's first step", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let api: GitHubApiTwin;
  let ws: string;
  let cache: string;
  let sources: string;
  const marker = `orun-setup-${randomBytes(4).toString("hex")}`;

  async function publish(name: string, files: Record<string, string>): Promise<void> {
    const dir = path.join(sources, name);
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
    await api.publishDir("acme", name, "v1", dir);
  }

  before(async () => {
    api = await new GitHubApiTwin().start();
    ws = await makeWorkspace();
    cache = await tempDir("container-start-cache");
    sources = await tempDir("container-start-src");
    await publish("badpull", { "action.yml": "name: badpull\nruns:\n  using: docker\n  image: docker://localhost:1/orun-no-such-image:1\n" });
    await publish("badbuild", {
      "action.yml": "name: badbuild\nruns:\n  using: docker\n  image: Dockerfile\n",
      Dockerfile: `FROM ${TEST_IMAGE}\nRUN exit 7\n`,
    });
    await publish("exprimage", { "action.yml": "name: exprimage\ninputs:\n  image: { default: alpine }\nruns:\n  using: docker\n  image: docker://${{ inputs.image }}\n" });
    await publish("built", {
      "action.yml": "name: built\nruns:\n  using: docker\n  image: Dockerfile\n  entrypoint: /bin/echo\n  args: ['built-action-ran']\n",
      Dockerfile: `FROM ${TEST_IMAGE}\nLABEL ${marker}=yes\n`,
    });
  });
  after(async () => {
    await api.close();
    const images = await docker(engine, ["images", "--quiet", "--filter", `label=${marker}=yes`]);
    for (const id of new Set(images.stdout.split("\n").filter(Boolean))) await docker(engine, ["rmi", "--force", id]);
    for (const dir of [ws, cache, sources]) await rm(dir, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ GITHUB_API_URL: api.url, ORUN_ACTIONS_CACHE: cache, GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", DOCKER_HOST: engine.dockerHost || undefined });
  const exists = async (file: string): Promise<boolean> => (await stat(path.join(ws, file)).catch(() => undefined)) !== undefined;

  async function runPlan(name: string, steps: Parameters<typeof makeJob>[1], extra: string[] = []): Promise<{ code: number | null; out: string }> {
    const plan = makePlan([makeJob(`api@dev.${name}`, steps)], name);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(plan));
    const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name, ...extra], { cwd: ws, env: env(), timeoutMs: 120_000 });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  async function stepStatuses(name: string): Promise<{ status: string; steps: Record<string, string> }> {
    const state = JSON.parse(await readFile(path.join(ws, `.orun/executions/${name}/state.json`), "utf8")) as { jobs: Record<string, { status: string; steps: Record<string, string> }> };
    return state.jobs[`api@dev.${name}`]!;
  }

  it("an image that cannot be pulled fails the job at set-up, naming the step and the action; the deploy did not run", async () => {
    const r = await runPlan("pull-fails", [
      { id: "deploy", run: "echo A > pull-deployed.txt" },
      { id: "scan", use: "acme/badpull@v1" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /set up job: step scan \(use: acme\/badpull@v1\): docker container action acme\/badpull@v1: failed to pull image localhost:1\/orun-no-such-image:1: \S/);
    assert.equal(await exists("pull-deployed.txt"), false, "the step before the container action ran");
    const job = await stepStatuses("pull-fails");
    assert.equal(job.status, "failed");
    assert.deepEqual(job.steps, { deploy: "skipped", scan: "skipped" });
  });

  it("a docker:// step's image that cannot be pulled fails the job at set-up, naming the step; the deploy did not run", async () => {
    const r = await runPlan("step-pull-fails", [
      { id: "deploy", run: "echo A > step-pull-deployed.txt" },
      { id: "probe", use: "docker://localhost:1/orun-no-such-image:2" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /set up job: step probe \(use: docker:\/\/localhost:1\/orun-no-such-image:2\): docker container action docker:\/\/localhost:1\/orun-no-such-image:2: failed to pull image localhost:1\/orun-no-such-image:2: \S/);
    assert.equal(await exists("step-pull-deployed.txt"), false, "the step before the docker:// step ran");
    assert.deepEqual((await stepStatuses("step-pull-fails")).steps, { deploy: "skipped", probe: "skipped" });
  });

  it("a ${{ }} in a container action's runs.image fails the job at set-up, naming the action.yml field, as GitHub refuses to load it", async () => {
    const r = await runPlan("image-expression", [
      { id: "deploy", run: "echo A > expression-deployed.txt" },
      { id: "scan", use: "acme/exprimage@v1" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /set up job: step scan \(use: acme\/exprimage@v1\): \S*action\.yml:6: runs\.image: must not hold a \$\{\{ \}\} expression: GitHub does not evaluate one there and refuses to load the action/);
    assert.equal(await exists("expression-deployed.txt"), false, "the step before the container action ran");
  });

  it("a Dockerfile that does not build fails the job at set-up, naming the step, the action and the file", async () => {
    const r = await runPlan("build-fails", [
      { id: "deploy", run: "echo A > build-deployed.txt" },
      { id: "lint", use: "acme/badbuild@v1" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /set up job: step lint \(use: acme\/badbuild@v1\): docker container action acme\/badbuild@v1: failed to build \S+\/Dockerfile: \S/);
    assert.equal(await exists("build-deployed.txt"), false, "the step before the container action ran");
  });

  it("a Dockerfile action is built at job start even when an earlier step then fails, and runs from that build", async () => {
    const failed = await runPlan("build-first", [
      { id: "breaks", run: "exit 3" },
      { id: "act", use: "acme/built@v1" },
    ]);
    assert.equal(failed.code, 1, failed.out);
    const images = await docker(engine, ["images", "--quiet", "--filter", `label=${marker}=yes`]);
    assert.equal(images.code, 0, images.stderr);
    assert.notEqual(images.stdout.trim(), "", "the action's image was built before the first step, as GitHub's Set up job builds it");
    const ok = await runPlan("build-ok", [
      { id: "first", run: "echo first" },
      { id: "act", use: "acme/built@v1" },
    ], ["--verbose"]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /built-action-ran/);
  });
});
