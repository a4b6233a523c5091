// A step that prints a line shaped like a section header (`=== DONE ===`, `=== SMOKE: … ===` as spec 40's smoke
// steps do, or another step's `=== <key> ===`) is not split off its step by `orun logs --remote-state --step/--raw`
// (a whole read, and --follow). The wire format stays v2's; the backend keeps the keys the runner logged the job's
// steps under, in the order they run, and a header counts only when it names a step after the current one. A real
// runner (`orun run`) against a real backend on loopback; the readers are the built CLI.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";
import { makePlan } from "../runtime/helpers.js";
import { api, enc, planOf, startRemoteRun, type RemoteRunTestbed } from "./helpers.js";

describe("remote log sections: step output that looks like a section header", () => {
  let remote: RemoteRunTestbed;
  // Declared first but run last (phase post): the order that counts is the run order, not the declaration's.
  const plan = makePlan([
    {
      id: "web@dev.smoke",
      steps: [
        { id: "cleanup", phase: "post", run: "echo cleaning; echo '=== deploy ==='; echo cleaned" },
        { id: "validate", run: "echo '=== SMOKE: web@dev.smoke validate ==='; echo checking; echo '=== DONE ==='; echo '=== validate ==='; echo valid" },
        { id: "deploy", run: "echo deploying; echo '=== validate ==='; echo '=== DONE ==='; echo deployed" },
      ],
    },
  ]);
  const output = {
    validate: "=== SMOKE: web@dev.smoke validate ===\nchecking\n=== DONE ===\n=== validate ===\nvalid\n",
    deploy: "deploying\n=== validate ===\n=== DONE ===\ndeployed\n",
    cleanup: "cleaning\n=== deploy ===\ncleaned\n",
  };

  before(async () => {
    remote = await startRemoteRun("orun-log-sections-", plan, "sections");
  });
  after(() => remote?.bed.close());

  const read = (runId: string, args: string[]) => runOrun(["logs", ...args, "--remote-state", "--backend-url", remote.bed.backend.url, "--exec-id", runId], { cwd: remote.bed.dir, env: remote.env });
  const call = <T = Record<string, unknown>>(method: string, urlPath: string, body?: unknown) => api<T>(remote.bed.backend.url, remote.bed.token, method, urlPath, body);

  it("the backend lists the job's step keys in run order", async () => {
    const jobs = await call<{ jobs: { jobId: string; steps?: string[] }[] }>("GET", "/v1/runs/sections/jobs");
    assert.deepEqual(jobs.body.jobs[0]?.steps, ["validate", "deploy", "cleanup"]);
  });

  it("--step prints the whole of that step's output, header-shaped lines included", async () => {
    for (const step of ["validate", "deploy", "cleanup"] as const) {
      const r = await read("sections", ["--job", "web@dev.smoke", "--step", step, "--raw"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, output[step], `--step ${step}`);
    }
    const framed = await read("sections", ["--job", "web@dev.smoke", "--step", "validate"]);
    assert.match(framed.stdout, /=== validate ===\n=== SMOKE: web@dev\.smoke validate ===\nchecking\n=== DONE ===\n=== validate ===\nvalid\n\n?$/);
    assert.doesNotMatch(framed.stdout, /deploying/);
  });

  it("--raw prints every step's output, no line lost for looking like a header; --follow reads it the same way", async () => {
    const whole = output.validate + output.deploy + output.cleanup;
    const raw = await read("sections", ["--job", "web@dev.smoke", "--raw"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, whole);
    const follow = await read("sections", ["--job", "web@dev.smoke", "--raw", "--follow"]);
    assert.equal(follow.code, 0, follow.stderr);
    assert.equal(follow.stdout, whole);
    const step = await read("sections", ["--job", "web@dev.smoke", "--step", "deploy", "--raw", "--follow"]);
    assert.equal(step.stdout, output.deploy);
  });

  it("a run whose runners sent no step keys (a v2 runner) is read as before: every header-shaped line starts a section", async () => {
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "v2@dev.job": [] }), runId: "v2-run" })).status, 201);
    const jobs = await call<{ jobs: { steps?: string[] }[] }>("GET", "/v1/runs/v2-run/jobs");
    assert.equal(jobs.body.jobs[0]?.steps, undefined);
    const logged = await call("POST", `/v1/runs/v2-run/logs/${enc("v2@dev.job")}`, "=== a ===\none\n=== b ===\ntwo\n");
    assert.equal(logged.status, 200, logged.text);
    const b = await read("v2-run", ["--job", "v2@dev.job", "--step", "b", "--raw"]);
    assert.equal(b.stdout, "two\n");
  });

  it("a step printing the header of a step two places on erases no step: the in-between step's real header wins", async () => {
    const plan = planOf({ "h@dev.job": [] });
    (plan.jobs[0] as { stepKeys?: unknown }).stepKeys = ["a", "b", "c"];
    assert.equal((await call("POST", "/v1/runs", { plan, runId: "skip-ahead" })).status, 201);
    assert.equal((await call<{ claimed: boolean }>("POST", `/v1/runs/skip-ahead/jobs/${enc("h@dev.job")}/claim`, { runnerId: "r1" })).body.claimed, true);
    // Step a prints "=== c ===": then b's and c's real headers follow.
    const log = "=== a ===\nA1\n=== c ===\nA2\n=== b ===\nB1\n=== c ===\nC1\n";
    assert.equal((await call("POST", `/v1/runs/skip-ahead/logs/${enc("h@dev.job")}?runnerId=r1`, log)).status, 200);
    assert.equal((await call("POST", `/v1/runs/skip-ahead/jobs/${enc("h@dev.job")}/update`, { runnerId: "r1", status: "success" })).status, 200);
    const whole = { a: "A1\n=== c ===\nA2\n", b: "B1\n", c: "C1\n" };
    for (const [step, text] of Object.entries(whole)) {
      const r = await read("skip-ahead", ["--job", "h@dev.job", "--step", step, "--raw"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, text, `--step ${step}`);
    }
    // Following, the lines already handed out stay handed out, but the reader re-synchronises on b's header.
    const followed = await read("skip-ahead", ["--job", "h@dev.job", "--step", "b", "--raw", "--follow"]);
    assert.equal(followed.stdout, "B1\n");
    const followedC = await read("skip-ahead", ["--job", "h@dev.job", "--step", "c", "--raw", "--follow"]);
    assert.equal(followedC.stdout, "A2\nC1\n");
  });

  it("a plan whose stepKeys is not a list of strings is refused, naming the field", async () => {
    const plan = planOf({ "x@dev.job": [] });
    (plan.jobs[0] as { stepKeys?: unknown }).stepKeys = ["a", 3];
    const res = await call("POST", "/v1/runs", { plan, runId: "bad-keys" });
    assert.equal(res.status, 400);
    assert.match(res.text, /plan\.jobs\[0\]\.stepKeys must be an array of strings/);
  });
});
