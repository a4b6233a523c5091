// `orun logs --remote-state --step X` selects as the local `orun logs --step` does (runtime/logs.ts stepMatcher): a
// whole step key of the jobs listed selects that step only — `dock` not also `dockimg` — and a part of a key still
// finds the steps holding it. It printed every step whose key held X. A real runner (`orun run`) against a real
// backend on loopback; the reader is the built CLI, a whole read and --follow.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makePlan } from "../runtime/helpers.js";
import { startRemoteRun, type RemoteRunTestbed } from "./helpers.js";

describe("logs --remote-state --step: a whole key selects that step only", () => {
  let remote: RemoteRunTestbed;
  const plan = makePlan([
    { id: "web@dev.image", steps: [{ id: "dock", run: "echo in-dock" }, { id: "dockimg", run: "echo in-dockimg" }, { id: "push", run: "echo in-push" }] },
  ]);

  before(async () => {
    remote = await startRemoteRun("orun-log-step-exact-", plan, "whole-key");
  });
  after(() => remote?.bed.close());

  it("--step dock prints dock's output alone, whole read and --follow; --step doc (a part) prints both", async () => {
    for (const follow of [[], ["--follow"]]) {
      const dock = await remote.read(["logs", "--step", "dock", "--raw", ...follow]);
      assert.equal(dock.code, 0, dock.stderr);
      assert.equal(dock.stdout, "in-dock\n", `--step dock ${follow.join(" ")}`);
      const part = await remote.read(["logs", "--step", "doc", "--raw", ...follow]);
      assert.equal(part.code, 0, part.stderr);
      assert.equal(part.stdout, "in-dock\nin-dockimg\n", `--step doc ${follow.join(" ")}`);
    }
    const framed = await remote.read(["logs", "--step", "dock"]);
    assert.match(framed.stdout, /=== dock ===\nin-dock\n/);
    assert.doesNotMatch(framed.stdout, /dockimg/);
  });
});
