// End to end: `orun run` (the built binary, a real process) with the
// github-actions runner, local and remote actions, 4 jobs in parallel.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../../support/cli.js";
import { GitHubApiTwin } from "../../support/github-api.js";
import { ACTIONS_SRC, makeJob, makePlan, makeWorkspace, tempDir } from "./helpers.js";

describe("orun run with the github-actions runner", () => {
  let api: GitHubApiTwin;
  let ws: string;
  let cache: string;

  before(async () => {
    api = await new GitHubApiTwin().start();
    await api.publishDir("acme", "probe", "v1", path.join(ACTIONS_SRC, "remote-probe"));
    ws = await makeWorkspace();
    cache = await tempDir("cli-cache");
  });
  after(async () => {
    await api.close();
    await rm(ws, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ GITHUB_API_URL: api.url, ORUN_ACTIONS_CACHE: cache, GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_SECRET_API_KEY: "k-998877" });

  it("keeps the job's step summary (GITHUB_STEP_SUMMARY) and its post hooks' output in the execution record, shown by orun logs", async () => {
    const plan = makePlan(
      [
        makeJob("docs@dev.report", [
          { id: "write", run: 'echo "### Coverage 93%" >> "$GITHUB_STEP_SUMMARY"' },
          // A node action whose post hook runs when the job finishes.
          { id: "greet", use: "./actions/toolkit", with: { who: "logs" } },
        ]),
      ],
      "gha-summary",
    );
    await writeFile(path.join(ws, "summary-plan.json"), JSON.stringify(plan));
    const r = await runOrun(["run", "summary-plan.json", "--runner", "github-actions", "--exec-id", "gha-summary-1"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const logs = await runOrun(["logs", "--exec-id", "gha-summary-1", "--job", "docs@dev.report"], { cwd: ws, env: env() });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /docs@dev\.report › job summary/);
    assert.match(logs.stdout, /### Coverage 93%/);
    assert.match(logs.stdout, /docs@dev\.report › job finish[^\n]*\n[\s\S]*post: started=/, "the post hook's output is in the record");
  });

  it("auto-selects the runner for use: steps and runs 4 jobs in parallel with prefixed output and no env leakage", async () => {
    const names = ["a", "b", "c", "d", "e"];
    const plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "gha-cli" },
      execution: { concurrency: 4, failFast: false },
      spec: {},
      jobs: names.map((n) => ({
        id: `svc-${n}@dev.build`,
        name: "build",
        component: `svc-${n}`,
        environment: "dev",
        env: { JOB_MARK: `mark-${n}` },
        steps: [
          { id: "hello", phase: "main", use: "./actions/hello-node", with: { label: `label-${n}` } },
          { id: "probe", phase: "main", use: "acme/probe@v1" },
          { id: "check", phase: "main", run: 'echo "check-${{ github.job }} LEAK=$LEAK label=${{ steps.hello.outputs.label }} key=${{ secrets.API_KEY }}"' },
        ],
      })),
    };
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(plan));
    const r = await runOrun(["run", "plan.json", "--verbose"], { cwd: ws, env: env(), timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /github-actions/);
    const lines = r.stdout.split("\n");
    for (const n of names) {
      const own = lines.filter((l) => l.includes(`check-svc-${n}@dev.build`));
      assert.equal(own.length, 1, `one check line for ${n}`);
      assert.match(own[0], new RegExp(`svc-${n}.*check-svc-${n}@dev\\.build LEAK=mark-${n} label=label-${n} key=\\*\\*\\*`));
    }
    assert.doesNotMatch(r.stdout + r.stderr, /k-998877/);
    assert.equal(api.count("commits"), 1, "one ref lookup for all jobs");
    assert.equal(api.count("tarball"), 1);
    const execs = path.join(ws, ".orun/executions");
    const execId = (await readdir(execs)).find((d) => d !== "latest")!;
    const logs = path.join(execs, execId, "logs");
    for (const dir of await readdir(logs)) {
      for (const file of await readdir(path.join(logs, dir))) assert.doesNotMatch(await readFile(path.join(logs, dir, file), "utf8"), /k-998877/);
    }
  });

  it("fails the run with a clear error for a broken action", async () => {
    const plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "gha-cli-bad" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [{ id: "svc@dev.bad", name: "bad", component: "svc", environment: "dev", steps: [{ id: "need", phase: "main", use: "./actions/needs-input" }] }],
    };
    await writeFile(path.join(ws, "bad-plan.json"), JSON.stringify(plan));
    const r = await runOrun(["run", "bad-plan.json", "--runner", "github-actions"], { cwd: ws, env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /required input "token" is missing for action needs-input \(\S+actions\/needs-input\/action\.yml:3\)/);
  });
});
