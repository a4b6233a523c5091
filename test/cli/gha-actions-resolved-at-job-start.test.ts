// `orun run --gha` (the built binary, real processes) against the local GitHub API twin: as GitHub's "Set up
// job", every remote action of a job is downloaded before its first step, so a misspelt one fails the job
// before an earlier step (a deploy) has run. Local actions, actions named by `${{ }}` and those a composite calls
// are loaded when their step runs, as on GitHub. `run --dry-run` notes a missing local action.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { GitHubApiTwin } from "../support/github-api.js";
import { ACTIONS_SRC, makeJob, makePlan, makeWorkspace, tempDir } from "../runners/github-actions/helpers.js";

describe("github-actions: actions are resolved before a job's first step", () => {
  let api: GitHubApiTwin;
  let ws: string;
  let cache: string;

  before(async () => {
    api = await new GitHubApiTwin().start();
    await api.publishDir("acme", "hello", "v1", path.join(ACTIONS_SRC, "hello-node"));
    ws = await makeWorkspace();
    cache = await tempDir("start-cache");
  });
  after(async () => {
    await api.close();
    await rm(ws, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ GITHUB_API_URL: api.url, ORUN_ACTIONS_CACHE: cache, GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "" });
  const exists = async (file: string): Promise<boolean> => (await stat(path.join(ws, file)).catch(() => undefined)) !== undefined;

  async function runPlan(name: string, steps: Parameters<typeof makeJob>[1], extra: string[] = []): Promise<{ code: number | null; out: string }> {
    const plan = makePlan([makeJob(`api@dev.${name}`, steps)], name);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(plan));
    const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name, ...extra], { cwd: ws, env: env(), timeoutMs: 60_000 });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it("a remote action the API refuses fails the job before its first step: the deploy did not run, the error names the step and the action", async () => {
    const r = await runPlan("remote-missing", [
      { id: "deploy", run: "echo A > remote-deployed.txt" },
      { id: "announce", use: "acme/nope@v9" },
      { id: "always", run: "echo B > remote-always.txt", if: "always()" } as never,
      { id: "cleanup", phase: "post", run: "echo C > remote-cleanup.txt" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /start job: set up job: step announce \(use: acme\/nope@v9\): resolve acme\/nope@v9: http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/nope\/commits\/v9 answered 404/);
    for (const file of ["remote-deployed.txt", "remote-always.txt", "remote-cleanup.txt"]) assert.equal(await exists(file), false, `${file} was written: a step ran`);
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions/remote-missing/state.json"), "utf8")) as { jobs: Record<string, { status: string; steps: Record<string, string> }> };
    const job = state.jobs["api@dev.remote-missing"]!;
    assert.equal(job.status, "failed");
    assert.deepEqual(job.steps, { deploy: "skipped", announce: "skipped", always: "skipped", cleanup: "skipped" });
  });

  it("a local action is loaded when its step runs, as on GitHub: one an earlier step creates runs; a missing one fails its step, the hint naming the repository root", async () => {
    const made = await runPlan("local-made", [
      { id: "checkout", run: 'cp -R "$GITHUB_WORKSPACE/actions/hello-node" "$GITHUB_WORKSPACE/actions/made"' },
      { id: "report", use: "./actions/made", with: { label: "made" } },
    ]);
    assert.equal(made.code, 0, made.out);
    const r = await runPlan("local-missing", [
      { id: "deploy", run: "echo A > local-deployed.txt" },
      { id: "report", use: "./actions/nope" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.equal(await exists("local-deployed.txt"), true, "the step before the local action ran, as on GitHub");
    const where = path.join(ws, "actions/nope");
    assert.ok(r.out.includes(`local action ./actions/nope: ${where} does not exist (local actions are relative to the repository root ${ws})`), r.out);
    assert.ok(r.out.includes(`local actions (use: ./path) are relative to the repository root ${ws}, not to the step's working directory`), r.out);
    assert.doesNotMatch(r.out, /check the component path or set --workdir/);
  });

  it("a missing local action a composite calls gets the same hint: the runner passes the root up from the nested step", async () => {
    await mkdir(path.join(ws, "actions/wrapper"), { recursive: true });
    await writeFile(path.join(ws, "actions/wrapper/action.yml"), "name: wrapper\nruns:\n  using: composite\n  steps:\n    - name: inner\n      uses: ./actions/gone\n");
    const r = await runPlan("local-nested", [{ id: "wrap", use: "./actions/wrapper" }]);
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(`wrapper › inner: local action ./actions/gone: ${path.join(ws, "actions/gone")} does not exist`), r.out);
    assert.ok(r.out.includes(`local actions (use: ./path) are relative to the repository root ${ws}, not to the step's working directory`), r.out);
  });

  it("run --dry-run notes a missing local action (and nothing for one that exists)", async () => {
    const r = await runPlan("dry", [
      { id: "deploy", run: "echo A > dry-deployed.txt" },
      { id: "hello", use: "./actions/hello-node" },
      { id: "report", use: "./actions/nope" },
    ], ["--dry-run"]);
    assert.equal(r.code, 0, r.out);
    const note = r.out.split("\n").find((line) => line.includes("note"));
    assert.ok(note?.includes(`step report: local action ./actions/nope: ${path.join(ws, "actions/nope")} does not exist (local actions are relative to the repository root ${ws})`), r.out);
    assert.doesNotMatch(r.out, /hello-node does not exist/);
  });

  it("a good remote action is downloaded at job start once, and the on-disk ref cache spares the next run the API call", async () => {
    const commits = api.count("commits");
    const tarballs = api.count("tarball");
    const steps = [
      { id: "first", run: "echo first" },
      { id: "greet", use: "acme/hello@v1", with: { label: "one" } },
      { id: "again", use: "acme/hello@v1", with: { label: "two" } },
    ];
    const first = await runPlan("remote-good", steps);
    assert.equal(first.code, 0, first.out);
    assert.equal(api.count("commits") - commits, 1, "one ref lookup for the job's two uses of the action");
    assert.equal(api.count("tarball") - tarballs, 1, "one download");
    const second = await runPlan("remote-good-2", steps);
    assert.equal(second.code, 0, second.out);
    assert.equal(api.count("commits") - commits, 1, "the next run reads the ref from the on-disk cache");
    assert.equal(api.count("tarball") - tarballs, 1);
  });

  it("a use: value with ${{ }} is resolved when its step runs (it may name an earlier step's output)", async () => {
    const r = await runPlan("expr", [
      { id: "pick", run: 'echo "action=./actions/hello-node" >> "$GITHUB_OUTPUT"' },
      { id: "greet", use: "${{ steps.pick.outputs.action }}", with: { label: "picked" } },
      { id: "show", run: "echo label=${{ steps.greet.outputs.label }} > expr-label.txt" },
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(await readFile(path.join(ws, "expr-label.txt"), "utf8"), "label=picked\n");
  });

  it("a composite's own uses: resolve when the composite runs, as on GitHub: the steps before it have run", async () => {
    await mkdir(path.join(ws, "actions/calls-missing"), { recursive: true });
    await writeFile(
      path.join(ws, "actions/calls-missing/action.yml"),
      "name: calls-missing\nruns:\n  using: composite\n  steps:\n    - run: echo B > composite-first.txt\n      shell: bash\n    - uses: ./actions/nope-inner\n",
    );
    const r = await runPlan("composite", [
      { id: "deploy", run: "echo A > composite-deployed.txt" },
      { id: "wrapped", use: "./actions/calls-missing" },
    ]);
    assert.equal(r.code, 1, r.out);
    assert.equal(await exists("composite-deployed.txt"), true);
    assert.equal(await exists("composite-first.txt"), true);
    assert.match(r.out, /local action \.\/actions\/nope-inner: .* does not exist/);
  });
});
