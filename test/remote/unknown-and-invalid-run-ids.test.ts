// Reading a remote run by a wrong or hostile run ID. `orun status`/`orun logs` name the run and the backend when
// it has no such run (they said a bare "Run not found (NOT_FOUND)"); `orun logs --follow` waits for a run not
// started yet, as `status --watch` does (it failed at once), and `status --watch` says once that it waits (it
// reported "Error fetching remote state: run not found … polls failed"); and `.`/`..` — dot segments every URL parser
// removes, so `/v1/runs/..` asked `/v1/` and answered "Not found" — are refused before any request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { until } from "../support/wait.js";
import { inShell } from "../support/resume-hint.js";
import { createToken } from "../../src/remote/backend/auth/tokens.js";

describe("status and logs of a run the backend does not have", () => {
  let bed: RemoteTestbed;
  let requests: string[] = [];
  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-ids-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    bed.backend.server.on("request", (req: { url?: string }) => requests.push(req.url ?? ""));
  });
  after(() => bed?.close());

  const read = (args: string[], execId: string) =>
    spawnOrun([...args, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", execId], {
      cwd: bed.dir,
      env: { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" },
    }).done;

  for (const args of [["status"], ["status", "--json"], ["logs"]]) {
    it(`orun ${args.join(" ")} names the missing run and the backend`, async () => {
      const r = await read(args, "nightly-42");
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, new RegExp(`✕ remote run nightly-42 not found on the backend at ${bed.backend.url.replace(/\./g, "\\.")} \\(name the run ID its runners printed`));
    });
  }

  it("a run read with a token of another namespace is not found, and the hint says a token sees only its namespace's runs", { timeout: 60_000 }, async () => {
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
    const plan = await writePlan(bed.dir, "ns", [{ id: "api@dev.build", run: "echo built-ns" }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ns-1"], { cwd: bed.dir, env }).done;
    assert.equal(run.code, 0, run.output);
    const other = (await createToken(bed.backend.store, "local:someone/else")).token;
    const r = await spawnOrun(["status", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ns-1"], { cwd: bed.dir, env: { ...env, ORUN_TOKEN: other } }).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /✕ remote run ns-1 not found on the backend at .*a token sees only the runs of its namespace/s);
  });

  it("orun logs --follow started before the run waits for it, says so once, and follows it to its end", { timeout: 60_000 }, async () => {
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
    const follow = spawnOrun(["logs", "--follow", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "later-1"], { cwd: bed.dir, env });
    await until(() => /not on the backend .* yet; waiting for its runners/.test(follow.output()), "the follower says it waits", 30_000);
    // A few polls later it still waits, having said so once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(follow.child.exitCode, null, follow.output());
    const plan = await writePlan(bed.dir, "later", [{ id: "api@dev.build", run: "echo built-later" }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "later-1"], { cwd: bed.dir, env }).done;
    assert.equal(run.code, 0, run.output);
    const followed = await follow.done;
    assert.equal(followed.code, 0, followed.output);
    assert.match(followed.output, /built-later/);
    assert.equal(followed.output.match(/waiting for its runners/g)?.length, 1, followed.output);
  });

  it("orun status --watch started before the run says once that it waits for it, polls on without failures, and shows it; the run's status and logs lines, pasted, read it", { timeout: 60_000 }, async (t) => {
    const runId = "watch-later-2";
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
    requests = [];
    const asked = () => requests.filter((url) => decodeURIComponent(url).includes(runId)).length;
    const watch = spawnOrun(["status", "--watch", "--interval", "200ms", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", runId], { cwd: bed.dir, env });
    t.after(() => void watch.child.kill());
    await until(() => /not on the backend .* yet; waiting for its runners to start it/.test(watch.output()), "the watcher says it waits", 30_000);
    // Polls go on (the backend is asked again and again), none counted as failed: it said "run not found … polls failed".
    const polled = asked();
    await until(() => asked() >= polled + 8, "more polls of the run", 30_000);
    assert.equal(watch.child.exitCode, null, watch.output());
    assert.doesNotMatch(watch.output(), /Error fetching|polls failed/);
    const plan = await writePlan(bed.dir, "watched", [{ id: "api@dev.build", run: "echo built-watched" }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", runId], { cwd: bed.dir, env }).done;
    assert.equal(run.code, 0, run.output);
    const watched = await watch.done;
    assert.equal(watched.code, 0, watched.output);
    assert.match(watched.output, /▲ orun remote run watch-later-2/);
    assert.equal(watched.output.match(/waiting for its runners/g)?.length, 1, watched.output);
    // The summary's lines, pasted through sh, read this run.
    for (const word of ["status", "logs"]) {
      const line = new RegExp(`^ {2}${word} +(orun ${word} .*)$`, "m").exec(run.output)?.[1];
      assert.equal(line, `orun ${word} --exec-id watch-later-2 --remote-state --backend-url ${bed.backend.url}`, run.output);
      // Without ORUN_BACKEND_URL: the line names the backend itself.
      const pasted = await inShell(t, line, bed.dir, { ORUN_TOKEN: bed.token });
      assert.equal(pasted.code, 0, pasted.output);
      assert.match(pasted.output, word === "status" ? /remote run watch-later-2/ : /built-watched/);
    }
  });

  for (const id of [".", ".."]) {
    it(`refuses run ID "${id}" before asking the backend anything`, async () => {
      requests = [];
      for (const args of [["status"], ["logs"]]) {
        const r = await read(args, id);
        assert.equal(r.code, 1, r.output);
        assert.match(r.output, new RegExp(`✕ "${id.replace(/\./g, "\\.")}" cannot name a run or job`));
      }
      assert.deepEqual(requests, []);
    });
  }
});
