// `orun logs --remote-state --job <typo>` (or `--step <typo>`) printed "No logs match." and exited 0, where a local
// `orun logs` names what is not in the run with what it may have meant, and exits 1 (239507b). The remote path now
// checks the filter against the run's jobs as the backend lists them (their step keys, status and lastError): a job
// or step the run does not have is an error, with and without --follow; a job of the run without logs says its status
// and the backend's reason. Real `orun run` / `orun logs` processes against a real backend on loopback.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makePlan } from "../runtime/helpers.js";
import { runOrun } from "../support/cli.js";
import { api, planOf, startRemoteRun, type RemoteRunTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const PLAN = makePlan(
  [
    { id: "api@dev.build", steps: [{ id: "compile", run: "echo compiled" }, { id: "check", run: "exit 3" }] },
    { id: "api@dev.deploy", dependsOn: ["api@dev.build"], steps: [{ id: "ship", run: "echo shipped" }] },
    { id: "web@dev.build", steps: [{ id: "bundle", run: "echo bundled" }] },
  ],
  { name: "rtypos" },
);

/** Polls `check` until it holds, failing with `what` (and the process output) past the deadline. */
async function until(check: () => boolean, what: string, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("orun logs --remote-state with a job or step the run does not have", () => {
  let remote: RemoteRunTestbed;
  before(async () => {
    remote = await startRemoteRun("orun-rlogs-typo-", PLAN, "typos-run", 1);
  });
  after(() => remote?.bed.close());

  /** `orun <args> --remote-state --backend-url … --exec-id <runId>`. */
  const readRun = (runId: string, args: string[]) =>
    runOrun([...args, "--remote-state", "--backend-url", remote.bed.backend.url, "--exec-id", runId], { cwd: remote.bed.dir, env: remote.env, timeoutMs: 30_000 });

  it("is an error naming it, with close matches or the run's jobs and steps, exit 1 and nothing on stdout; --follow too", async () => {
    const cases: [string[], RegExp][] = [
      [["--job", "api@dev.biuld"], /job not found in remote run typos-run: api@dev\.biuld \(did you mean api@dev\.build\?\)/],
      [["--job", "api.dev.biuld"], /job not found in remote run typos-run: api\.dev\.biuld \(did you mean api@dev\.build\?\)/],
      [["job/api@dev.biuld"], /job not found in remote run typos-run: api@dev\.biuld \(did you mean api@dev\.build\?\)/],
      [["--job", "zzz"], /job not found in remote run typos-run: zzz \(its jobs: api@dev\.build, api@dev\.deploy, web@dev\.build\)/],
      [["--job", "zzz", "--follow"], /job not found in remote run typos-run: zzz/],
      [["--job", "api@dev.build", "--step", "chekc"], /step not found in remote run typos-run of api@dev\.build: chekc \(did you mean check\?\)/],
      [["--job", "web", "--step", "compile"], /step not found in remote run typos-run of web@dev\.build: compile \(its steps: bundle\)/],
      [["--step", "nosuch", "--raw"], /step not found in remote run typos-run: nosuch \(its steps: bundle, check, compile, ship\)/],
      [["--step", "nosuch", "--follow"], /step not found in remote run typos-run: nosuch/],
    ];
    for (const [args, error] of cases) {
      const r = await remote.read(["logs", ...args]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, error, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
    }
    // What the run has still prints, by either ID form or a part of one.
    const build = await remote.read(["logs", "--job", "api.dev.build", "--step", "compile", "--raw"]);
    assert.equal(build.code, 0, build.stderr);
    assert.equal(build.stdout, "compiled\n");
  });

  it("a job of the run without logs exits 0 saying its status and the backend's reason; --follow says it at the end", async () => {
    const skipped = "No logs match (api@dev.deploy: skipped, dependency api@dev.build failed).\n";
    for (const args of [["--job", "api@dev.deploy"], ["--job", "api.dev.deploy", "--step", "ship"]]) {
      const r = await remote.read(["logs", ...args]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, skipped, args.join(" "));
    }
    const raw = await remote.read(["logs", "--job", "deploy", "--raw"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, "", "--raw: the note is not output");
    assert.match(raw.stderr, /No logs match \(api@dev\.deploy: skipped, dependency api@dev\.build failed\)\./);
    // --follow of a finished run: its exit status is the run's (failed: 1), as before; the note is the same.
    const follow = await remote.read(["logs", "--job", "deploy", "--follow"]);
    assert.equal(follow.code, 1, follow.stderr);
    assert.equal(follow.stdout, skipped);
  });

  it("a job not started yet says pending; a typo is refused while the run is still going, and in a run --follow waited for", async () => {
    // A runner of one job: the run's other jobs stay pending, and the run unfinished.
    const web = await readRun("part-run", ["run", "plan.json", "--job", "web@dev.build"]);
    assert.equal(web.code, 0, web.stdout + web.stderr);
    const pending = await readRun("part-run", ["logs", "--job", "api@dev.build"]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(pending.stdout, "No logs match (api@dev.build: pending).\n");
    // --follow would wait for the run's end: a typo is refused at once.
    const typo = await readRun("part-run", ["logs", "--job", "api@dev.biuld", "--follow"]);
    assert.equal(typo.code, 1, typo.stdout + typo.stderr);
    assert.match(typo.stderr, /job not found in remote run part-run: api@dev\.biuld \(did you mean api@dev\.build\?\)/);
    assert.equal(typo.stdout, "");

    // Followed before the run exists: waited for, then refused once its jobs are listed.
    const args = ["logs", "--job", "zzz", "--follow", "--remote-state", "--backend-url", remote.bed.backend.url, "--exec-id", "later-run"];
    const follower = spawnOrun(args, { cwd: remote.bed.dir, env: remote.env });
    await until(() => follower.output().includes("is not on the backend"), "the follower waits for the run", follower.output);
    assert.equal((await readRun("later-run", ["run", "plan.json", "--job", "web@dev.build"])).code, 0);
    const { code, output } = await follower.done;
    assert.equal(code, 1, output);
    assert.match(output, /job not found in remote run later-run: zzz \(its jobs: api@dev\.build, api@dev\.deploy, web@dev\.build\)/);
  });

  it("a run whose runners sent no step keys (v2) takes --step as given; --job is still checked", async () => {
    const created = await api(remote.bed.backend.url, remote.bed.token, "POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "no-keys" });
    assert.equal(created.status, 201, created.text);
    const step = await readRun("no-keys", ["logs", "--step", "anything"]);
    assert.equal(step.code, 0, step.stderr);
    assert.equal(step.stdout, "No logs match.\n");
    const job = await readRun("no-keys", ["logs", "--job", "a@dev.y", "--step", "anything"]);
    assert.equal(job.code, 1, job.stdout);
    assert.match(job.stderr, /job not found in remote run no-keys: a@dev\.y \(did you mean a@dev\.x\?\)/);
  });
});
