// Under GITHUB_ACTIONS=true `orun status` printed a record's text as it is: a job's error quoting a value a step had
// masked (`::add-mask::`) showed it in the workflow's log, and an `##[error]` in it was acted on by the runner around
// orun (the old syntax is read anywhere in a line); `--json`, local or remote, and `orun run --json` did the same. Now
// each is masked and inert as `orun logs` prints the same run's text (gha-logs.ts), a JSON string's `##[` written
// `##\u005b` (the same value to a JSON reader). Remote status reads only the logs of the jobs whose text it prints.
// Real runs of the built CLI, a real backend on loopback; GitHub's reading is test/support/gha-runner-log.ts.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, describe, it, test } from "node:test";
import { makePlan, planDir, removeDir, tempDir, writePlan, type JobSpec } from "../runtime/helpers.js";
import { api, asUploadedUnmasked, startRemoteRun, type RemoteRunTestbed } from "../remote/helpers.js";
import { runOrun, type CliResult } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";

// Step s2's error quotes its shell, as the plan gives it: the value s1 masked, an old-syntax command, and a line that
// starts with a `::` command.
const SHELL = "s3cr3t ##[error]injected\n::error::x";
const failing = (masked: string[]): JobSpec => ({
  id: "api@dev.build",
  steps: [
    { id: "s1", run: masked.map((value) => `echo '::add-mask::${value}'`).join("; ") },
    { id: "s2", run: "echo never", shell: SHELL },
  ],
});
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" };

/** Neither stream shows the masked value, and no line of either is a command to the runner or a group or error line to GitHub's view. */
function assertMaskedAndInert(result: CliResult, secret = "s3cr3t"): void {
  for (const out of [result.stdout, result.stderr]) {
    assert.ok(!out.includes(secret), out);
    const { commands, log } = runnerLog(out);
    assert.deepEqual(commands, [], out);
    assert.deepEqual(shapingLines(log), [], out);
  }
}

describe("local status inside GitHub Actions", () => {
  let dir: string;
  before(async () => {
    dir = await tempDir("orun-gha28-status-");
    await writePlan(dir, makePlan([failing(["s3cr3t"]), { id: "api@dev.other", steps: [{ id: "s1", run: "echo fine" }] }], { name: "masked" }));
    const run = await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
  });
  after(() => removeDir(dir));
  const status = (args: string[], github = "true") => runOrun(["status", "--exec-id", "E", ...args], { cwd: dir, env: { ...env, GITHUB_ACTIONS: github } });

  it("outside GitHub Actions the record's error is printed as it is (what the tests below hide)", async () => {
    const shown = await status([], "");
    assert.match(shown.stdout, /unsupported shell "s3cr3t ##\[error\]injected/, shown.stdout);
  });

  for (const args of [[], ["--detailed"], ["--watch"]]) {
    it(`status ${args.join(" ")}: a job's error hides what its steps masked and holds no command`, async () => {
      const shown = await status(args);
      assert.equal(shown.code, args.includes("--watch") ? 1 : 0, shown.stdout + shown.stderr);
      assertMaskedAndInert(shown);
      assert.match(shown.stdout, /✗ build .*unsupported shell "\*\*\* ##\\\[error\]injected ::error::x"/, shown.stdout);
    });
  }

  it("status --json: the error's string is masked, its `##[` written as a JSON escape; the document reads the same otherwise", async () => {
    const shown = await status(["--json"]);
    assert.equal(shown.code, 0, shown.stderr);
    assertMaskedAndInert(shown);
    assert.ok(shown.stdout.includes("##\\u005berror]injected\\n::error::x"), shown.stdout);
    const doc = JSON.parse(shown.stdout) as { state: { jobs: Record<string, { lastError?: string }> } };
    assert.equal(doc.state.jobs["api@dev.build"]!.lastError!.split(" for job")[0], `step s2: unsupported shell "${SHELL.replace("s3cr3t", "***")}"`);
  });

  it("status --all --json: each record's strings are masked with what its steps masked, no `##[` in them", async () => {
    const listed = await runOrun(["status", "--all", "--json"], { cwd: dir, env: { ...env, GITHUB_ACTIONS: "true" } });
    assert.equal(listed.code, 0, listed.stderr);
    assertMaskedAndInert(listed);
    const [record] = JSON.parse(listed.stdout) as { state: { jobs: Record<string, { lastError?: string }> } }[];
    assert.match(record!.state.jobs["api@dev.build"]!.lastError!, /^step s2: unsupported shell "\*\*\* ##\[error\]injected\n::error::x"/);
  });

  // After the test above: it reads the list's one record.
  it("status --all: a plan's name that holds `##[error]` is no command in the table", async () => {
    await writePlan(dir, makePlan([{ id: "api@dev.other", steps: [{ id: "s1", run: "echo fine" }] }], { name: "##[error]plan" }), "named.json");
    assert.equal((await runOrun(["run", "named.json", "--exec-id", "N"], { cwd: dir, env })).code, 0);
    const listed = await runOrun(["status", "--all"], { cwd: dir, env: { ...env, GITHUB_ACTIONS: "true" } });
    assert.equal(listed.code, 0, listed.stderr);
    assertMaskedAndInert(listed);
    assert.match(listed.stdout, /^✓ N +completed +##\\\[error\]plan /m, listed.stdout);
  });
});

test("run --json inside GitHub Actions (local runner): the summary's job error hides what the run's steps masked and holds no command", async (t) => {
  const dir = await planDir(t, [failing(["s3cr3t"])], { name: "masked" }, "orun-gha28-run-json-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "J", "--json", "--runner", "local"], { cwd: dir, env: { ...env, GITHUB_ACTIONS: "true" } });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assertMaskedAndInert(run);
  const summary = JSON.parse(run.stdout) as { jobs: { id: string; error?: string }[] };
  assert.match(summary.jobs[0]!.error!, /^step s2: unsupported shell "\*\*\* ##\[error\]injected\n::error::x"/);
});

describe("remote status inside GitHub Actions", () => {
  let remote: RemoteRunTestbed;
  const logReads: string[] = [];
  before(async () => {
    // Of three jobs, one has text of its own to print (its error); its steps masked a value it quotes and the run's ID.
    const plan = makePlan([{ id: "api@dev.first", steps: [{ id: "s1", run: "echo one" }] }, failing(["s3cr3t", "hidden-run-9"]), { id: "api@dev.last", steps: [{ id: "s1", run: "echo three" }] }], { name: "masked" });
    remote = await startRemoteRun("orun-gha28-remote-status-", plan, "hidden-run-9", 1);
    // Today's runner masks the job's log and error before the backend has them: the readers must still mask an older one's.
    const { body } = await api<{ jobs: { jobId: string; lastError: string | null }[] }>(remote.bed.backend.url, remote.bed.token, "GET", "/v1/runs/hidden-run-9/jobs");
    const error = body.jobs.find((job) => job.jobId === "api@dev.build")?.lastError?.replaceAll("***", "s3cr3t");
    assert.match(error ?? "", /s3cr3t/, "the older runner's error quotes the value");
    await asUploadedUnmasked(remote.bed, "hidden-run-9", "api@dev.build", "=== s1 ===\n::add-mask::s3cr3t\n::add-mask::hidden-run-9\n", error);
    remote.bed.backend.server.on("request", (req: IncomingMessage) => {
      if (/\/logs\//.test(req.url ?? "")) logReads.push(decodeURIComponent(req.url!));
    });
  });
  after(() => remote?.bed.close());
  const status = async (args: string[]) => {
    logReads.length = 0;
    return runOrun(["status", ...args, "--remote-state", "--backend-url", remote.bed.backend.url], { cwd: remote.bed.dir, env: { ...remote.env, GITHUB_ACTIONS: "true" } });
  };

  it("status (no run named): the note, the run's ID and the job's error are masked and no command; only the failed job's log is read", async () => {
    const shown = await status([]);
    assert.equal(shown.code, 0, shown.stdout + shown.stderr);
    assertMaskedAndInert(shown);
    assertMaskedAndInert(shown, "hidden-run-9");
    assert.match(shown.stderr, /^remote state: showing run \*\*\*, the last this machine took part in/, shown.stderr);
    assert.match(shown.stdout, /✗ api@dev\.build .*unsupported shell "\*\*\* ##\\\[error\]injected/, shown.stdout);
    assert.deepEqual(logReads.map((url) => url.replace(/\?.*/, "").split("/logs/")[1]), ["api@dev.build"], logReads.join("\n"));
  });

  it("status --json: the job's error string is masked, its `##[` a JSON escape, and no command; only the failed job's log is read", async () => {
    const shown = await status(["--json", "--exec-id", "hidden-run-9"]);
    assert.equal(shown.code, 0, shown.stdout + shown.stderr);
    assertMaskedAndInert(shown);
    assert.ok(shown.stdout.includes("##\\u005berror]injected\\n::error::x"), shown.stdout);
    const doc = JSON.parse(shown.stdout) as { execID: string; state: { jobs: Record<string, { lastError?: string }> } };
    assert.equal(doc.execID, "***");
    assert.match(doc.state.jobs["api@dev.build"]!.lastError!, /^step s2: unsupported shell "\*\*\* ##\[error\]injected\n::error::x"/);
    assert.equal(logReads.length, 1, logReads.join("\n"));
  });

  it("status --watch of the finished run: its frame is masked and no command, only the failed job's log read", async () => {
    const shown = await status(["--watch", "--exec-id", "hidden-run-9"]);
    assert.equal(shown.code, 1, shown.stdout + shown.stderr);
    assertMaskedAndInert(shown);
    assert.equal(logReads.length, 1, logReads.join("\n"));
  });
});
