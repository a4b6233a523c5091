// Docker container actions and docker:// steps in the github-actions runner,
// against a real Docker-API engine (podman's socket in CI), with local actions
// written into a temp workspace and the busybox test image.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { LABEL_JOB_ID, LABEL_PID, ownerLabelValue } from "../../../src/runners/docker/container.js";
import { runOrun } from "../../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { failedSetUp, makeHarness, makeJob, makePlan, runJob, tempDir, type Harness } from "./helpers.js";

const availability = await provideContainerEngine();

async function writeAction(workspace: string, name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(workspace, "docker-actions", name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await writeFile(path.join(dir, file), text);
    if (file.endsWith(".sh")) await chmod(path.join(dir, file), 0o755);
  }
  return `./docker-actions/${name}`;
}

describe("github-actions runner: docker container actions on a real engine", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let h: Harness;
  before(async () => {
    h = await makeHarness({ hostEnv: { ...engine.env, ORUN_DA_HOST_ONLY: "host-value" } });
  });
  after(async () => h.dispose());

  // This test process's containers of the job: by its owner label too (this process's pid and start time), not the
  // job ID alone, which a concurrent run of this file (another checkout's tests on the same engine) shares.
  const containersOfJob = async (jobId: string): Promise<string[]> => {
    const mine = `label=${LABEL_PID}=${ownerLabelValue(process.pid)}`;
    const result = await docker(engine, ["ps", "--all", "--filter", `label=${LABEL_JOB_ID}=${jobId}`, "--filter", mine, "--format", "{{.Names}}"]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.split("\n").filter(Boolean);
  };

  it("runs an image action: args from inputs, runs.env, mounts, masking, outputs for later steps, state from pre to post", async () => {
    const uses = await writeAction(h.workspace, "greet", {
      "action.yml": [
        "name: greet",
        "inputs:",
        "  who: { required: true }",
        "  secret: { default: '' }",
        "outputs:",
        "  greeting: { description: the greeting }",
        "runs:",
        "  using: docker",
        `  image: docker://${TEST_IMAGE}`,
        "  env:",
        "    FROM_RUNS: runs-${{ inputs.who }}",
        "  entrypoint: sh",
        "  pre-entrypoint: /github/action/pre.sh",
        "  post-entrypoint: /github/action/post.sh",
        "  args: ['/github/action/main.sh', '${{ inputs.who }}', 'two words']",
        "",
      ].join("\n"),
      "pre.sh": '#!/bin/sh\necho pre-ran\necho "phase=saved-by-pre" >> "$GITHUB_STATE"\n',
      "main.sh": [
        "#!/bin/sh",
        'echo "args=$1|$2"',
        'echo "pwd=$(pwd) ws=$GITHUB_WORKSPACE action=$GITHUB_ACTION_PATH home=$HOME temp=$RUNNER_TEMP"',
        'echo "marker=$(cat /github/workspace/marker.txt)"',
        'echo "::add-mask::$INPUT_SECRET"',
        'echo "secret is $INPUT_SECRET"',
        'echo "runs-env=$FROM_RUNS job=$JOB_VAR state=$STATE_phase host=$ORUN_DA_HOST_ONLY"',
        'test -f "$GITHUB_EVENT_PATH" && echo "event-ok $GITHUB_EVENT_PATH"',
        'case "$GITHUB_OUTPUT" in /github/file_commands/*) echo "output-file-ok";; esac',
        'echo "greeting=hello $1" >> "$GITHUB_OUTPUT"',
        "echo made-in-container > /github/workspace/out.txt",
        "",
      ].join("\n"),
      "post.sh": '#!/bin/sh\necho "post-ran state=$STATE_phase"\necho post > /github/workspace/post.txt\n',
    });
    await writeFile(path.join(h.workspace, "marker.txt"), "from-host");
    const job = makeJob(
      "web@dev.docker-greet",
      [
        { id: "greet", use: uses, with: { who: "world", secret: "s3cr3t-value" } },
        { id: "after", run: 'echo "got=${{ steps.greet.outputs.greeting }}"; cat out.txt; test ! -e post.txt && echo post-not-yet' },
      ],
      { JOB_VAR: "from-job" },
    );
    const r = await runJob(h, job);
    const [main, later] = r.steps;
    assert.equal(main.error, undefined, main.output);
    assert.equal(main.exitCode, 0);
    const out = main.output;
    assert.match(out, /^pre-ran$/m);
    assert.match(out, /^args=world\|two words$/m);
    assert.match(out, /^pwd=\/github\/workspace ws=\/github\/workspace action=\/github\/action home=\/github\/home temp=\/github\/workflow$/m);
    assert.match(out, /^marker=from-host$/m);
    assert.match(out, /^secret is \*\*\*$/m);
    assert.doesNotMatch(r.live, /s3cr3t-value/);
    assert.match(out, /^runs-env=runs-world job=from-job state=saved-by-pre host=$/m, "runs.env and job env inside; the host's own variables are not");
    assert.match(out, /^event-ok \/github\/workflow\/event\.json$/m);
    assert.match(out, /^output-file-ok$/m);
    assert.deepEqual(main.outputs, { greeting: "hello world" });
    assert.equal(later.error, undefined, later.output);
    assert.match(later.output, /^got=hello world\nmade-in-container\npost-not-yet$/);
    // post-entrypoint ran at job end, with the state pre saved.
    assert.equal(r.finish?.error, undefined);
    assert.match(r.finish?.output ?? "", /▸ Post greet\npost-ran state=saved-by-pre/);
    assert.equal(await readFile(path.join(h.workspace, "post.txt"), "utf8"), "post\n");
    assert.deepEqual(await containersOfJob(job.id), [], "every container is removed");
  });

  it("builds a Dockerfile action once and reports a failing container's exit code", async () => {
    const uses = await writeAction(h.workspace, "exits", {
      "action.yml": "name: exits\ninputs:\n  code: { default: '0' }\nruns:\n  using: docker\n  image: Dockerfile\n  args: ['${{ inputs.code }}']\n",
      Dockerfile: `FROM ${TEST_IMAGE}\nCOPY entry.sh /entry.sh\nENTRYPOINT ["/entry.sh"]\n`,
      "entry.sh": '#!/bin/sh\necho "exiting with $1"\nexit "$1"\n',
    });
    const r = await runJob(
      h,
      makeJob("web@dev.docker-exit", [
        { id: "ok", use: uses },
        { id: "fails", use: uses, with: { code: "3" } },
      ]),
      { stopOnFailure: false },
    );
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.equal(r.steps[0].output, "exiting with 0");
    assert.equal(r.steps[1].exitCode, 3);
    assert.equal(r.steps[1].error, "exit status 3");
    assert.equal(r.steps[1].output, "exiting with 3");
  });

  it("an action without runs.args / runs.entrypoint takes the step's with.args and with.entryPoint, as GitHub's runner does; runs.args win", async () => {
    const bare = await writeAction(h.workspace, "bare", { "action.yml": `name: bare\nruns:\n  using: docker\n  image: docker://${TEST_IMAGE}\n` });
    const fixed = await writeAction(h.workspace, "fixed", { "action.yml": `name: fixed\nruns:\n  using: docker\n  image: docker://${TEST_IMAGE}\n  entrypoint: /bin/echo\n  args: ['from-runs']\n` });
    const r = await runJob(
      h,
      makeJob("web@dev.docker-with-args", [
        { id: "bare", use: bare, with: { entryPoint: "/bin/echo", args: "from with" } },
        { id: "fixed", use: fixed, with: { entrypoint: "/bin/false", args: "ignored" } },
      ]),
      { stopOnFailure: false },
    );
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.equal(r.steps[0].output, "from with");
    assert.equal(r.steps[1].error, undefined, r.steps[1].output);
    assert.equal(r.steps[1].output, "from-runs");
  });

  it("runs docker:// steps with with.args (string split at whitespace, or a list)", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.docker-url", [
        { id: "words", use: `docker://${TEST_IMAGE}`, with: { args: "echo hello   from ${{ github.job }}" } },
        { id: "list", use: `docker://${TEST_IMAGE}`, with: { args: ["sh", "-c", 'echo "in $(pwd) as $GITHUB_WORKSPACE"; echo "v=1" >> "$GITHUB_OUTPUT"'] } },
        { id: "entry", use: `docker://${TEST_IMAGE}`, with: { entrypoint: "/bin/echo", args: "via entrypoint" } },
      ]),
    );
    assert.equal(r.steps.length, 3);
    for (const step of r.steps) assert.equal(step.error, undefined, step.output);
    assert.equal(r.steps[0].output, "hello from web@dev.docker-url");
    assert.equal(r.steps[1].output, "in /github/workspace as /github/workspace");
    assert.deepEqual(r.steps[1].outputs, { v: "1" });
    assert.equal(r.steps[2].output, "via entrypoint");
  });

  it("kills and removes a container whose step times out", async () => {
    const job = makeJob("web@dev.docker-timeout", [{ id: "slow", use: `docker://${TEST_IMAGE}`, with: { args: "sleep 60" } }]);
    const started = Date.now();
    const r = await runJob(h, job, { timeoutMs: 1500 });
    assert.equal(r.steps[0].timedOut, true);
    assert.match(r.steps[0].error ?? "", /command timed out after 1\.5s/);
    assert.ok(Date.now() - started < 20_000);
    assert.deepEqual(await containersOfJob(job.id), []);
  });

  it("names the image, Dockerfile or entrypoint when a pull, build or start fails", async () => {
    // A docker:// step's image is pulled at set-up, as GitHub's "Set up job" does: no step of the job runs.
    const setUp = await failedSetUp(h, makeJob("web@dev.docker-bad-pull", [{ id: "pull", use: "docker://localhost:1/orun-no-such-image:1" }]));
    assert.match(setUp, /^set up job: step pull \(use: docker:\/\/localhost:1\/orun-no-such-image:1\): docker container action docker:\/\/localhost:1\/orun-no-such-image:1: failed to pull image localhost:1\/orun-no-such-image:1: \S/);
    const uses = await writeAction(h.workspace, "badbuild", {
      "action.yml": "name: badbuild\nruns:\n  using: docker\n  image: build/Dockerfile\n",
    });
    await mkdir(path.join(h.workspace, "docker-actions/badbuild/build"), { recursive: true });
    await writeFile(path.join(h.workspace, "docker-actions/badbuild/build/Dockerfile"), `FROM ${TEST_IMAGE}\nRUN exit 7\n`);
    const r = await runJob(
      h,
      makeJob("web@dev.docker-bad", [
        { id: "build", use: uses },
        { id: "entry", use: `docker://${TEST_IMAGE}`, with: { entrypoint: "/no/such/entrypoint" } },
      ]),
      { stopOnFailure: false },
    );
    assert.match(r.steps[0].error ?? "", /docker container action \.\/docker-actions\/badbuild: failed to build \S+\/docker-actions\/badbuild\/build\/Dockerfile: \S/);
    assert.match(r.steps[1].error ?? "", /^the container did not start: .*\/no\/such\/entrypoint/);
    assert.notEqual(r.steps[1].exitCode, 0);
    assert.deepEqual(await containersOfJob("web@dev.docker-bad"), []);
  });
});

describe("orun run with docker container actions (built binary)", { skip: availability.skip }, () => {
  it("auto-selects the github-actions runner, feeds a container's output to a later step and logs masked output", async () => {
    const engine = availability.engine!;
    const ws = await tempDir("docker-cli");
    const plan = makePlan(
      [
        makeJob("app@dev.build", [
          { id: "image", use: `docker://${TEST_IMAGE}`, with: { args: ["sh", "-c", 'echo "::add-mask::tok-4455"; echo "token tok-4455"; echo "tag=v9" >> "$GITHUB_OUTPUT"'] } },
          { id: "use", run: 'echo "tag is ${{ steps.image.outputs.tag }}"' },
        ]),
      ],
      "docker-cli",
    );
    try {
      await writeFile(path.join(ws, "plan.json"), JSON.stringify(plan));
      const env = { DOCKER_HOST: engine.dockerHost || undefined, GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache") };
      const r = await runOrun(["run", "plan.json", "--exec-id", "docker-cli-1", "--verbose"], { cwd: ws, env, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /token \*\*\*/);
      assert.match(r.stdout, /tag is v9/);
      assert.doesNotMatch(r.stdout + r.stderr, /tok-4455/);
      const logs = await runOrun(["logs", "--exec-id", "docker-cli-1", "--job", "app@dev.build"], { cwd: ws, env });
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /token \*\*\*/);
      assert.doesNotMatch(logs.stdout, /tok-4455/);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});

describe("github-actions runner: docker container actions without an engine", () => {
  it("fails the job at set-up (a docker:// image is pulled then) with a clear message naming DOCKER_HOST", async () => {
    const deadDir = await tempDir("dead");
    const dead = path.join(deadDir, "no-engine.sock");
    const h = await makeHarness({ hostEnv: { DOCKER_HOST: `unix://${dead}` } });
    try {
      const error = await failedSetUp(h, makeJob("web@dev.no-engine", [{ id: "x", use: "docker://localhost/orun-test:latest", with: { args: "true" } }]));
      assert.match(error, /^set up job: step x \(use: docker:\/\/localhost\/orun-test:latest\): docker container action docker:\/\/localhost\/orun-test:latest needs a container engine: .+ \(set DOCKER_HOST\)$/);
    } finally {
      await h.dispose();
      await rm(deadDir, { recursive: true, force: true });
    }
  });
});
