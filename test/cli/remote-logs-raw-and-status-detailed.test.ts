// `orun logs --remote-state --raw` and `orun status --remote-state --detailed`, against a real backend and a run
// made by a real runner. --raw printed a run header, a job line and `=== deploy ===` before the step's output (a
// local --raw prints the output alone); --detailed showed nothing more than the plain status, in silence.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makePlan } from "../runtime/helpers.js";
import { startRemoteRun, type RemoteRunTestbed } from "../remote/helpers.js";

describe("remote logs --raw and status --detailed", () => {
  let remote: RemoteRunTestbed;
  before(async () => {
    const plan = makePlan([
      { id: "web@dev.deploy", steps: [{ id: "build", run: "echo built-it" }, { id: "deploy", run: "echo deploying; echo 'ünïcode done'" }] },
      { id: "api@dev.deploy", steps: [{ id: "migrate", run: "echo migrating; exit 3" }] },
    ], { name: "views" });
    remote = await startRemoteRun("orun-rev16rem-views-", plan, "views-run", 1);
  });
  after(() => remote?.bed.close());

  const read = (args: string[]) => remote.read(args);

  it("logs --raw --job --step prints only that step's output", async () => {
    const r = await read(["logs", "--job", "web@dev.deploy", "--step", "deploy", "--raw"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "deploying\nünïcode done\n");
  });

  it("logs --raw of a job prints its steps' output without header lines; without --raw the headers stay", async () => {
    const raw = await read(["logs", "--job", "web@dev.deploy", "--raw"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, "built-it\ndeploying\nünïcode done\n");
    const plain = await read(["logs", "--job", "web@dev.deploy"]);
    assert.match(plain.stdout, /^views-run {2}failed/);
    assert.match(plain.stdout, /=== deploy ===\ndeploying\n/);
  });

  it("logs --raw --follow of a finished run prints the output alone, and a step the job does not have is an error on stderr", async () => {
    const follow = await read(["logs", "--job", "web@dev.deploy", "--step", "deploy", "--raw", "--follow"]);
    assert.equal(follow.code, 1, follow.stderr);
    assert.equal(follow.stdout, "deploying\nünïcode done\n");
    // Was "No logs match." and exit 0 (as a local typo was before 239507b).
    const none = await read(["logs", "--job", "web@dev.deploy", "--step", "nope", "--raw"]);
    assert.equal(none.code, 1, none.stderr);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /step not found in remote run views-run of web@dev\.deploy: nope \(its steps: build, deploy\)/);
  });

  it("status --detailed names the failed step and says where step status is kept", async () => {
    const plain = await read(["status"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /Steps:/);
    // The step's error worded as the run's output words it (the backend keeps the runner's `exit status 3`).
    assert.match(plain.stdout, /✗ api@dev\.deploy .*step migrate: command exited with code 3\n/, plain.stdout);
    assert.doesNotMatch(plain.stdout, /exit status/, plain.stdout);
    const json = await read(["status", "--json"]);
    assert.match(json.stdout, /"lastError": ?"step migrate: exit status 3"/, json.stdout);
    const detailed = await read(["status", "--detailed"]);
    assert.equal(detailed.code, 0, detailed.stderr);
    assert.match(detailed.stdout, /✗ api@dev\.deploy .*\n {6}✗ step migrate {2}failed\n/);
    assert.match(detailed.stdout, /Steps: the backend records jobs, not steps/);
    assert.match(detailed.stdout, /orun logs --exec-id views-run --remote-state --backend-url \S+ --job <job> \[--step <step>\]/);
  });
});
