// The remote log of a job run with remote state holds what the local execution record holds: `orun logs --raw`
// and `orun logs --remote-state --raw` print the same output for each step — a step's partial last line, a retried
// step's attempts with their marker, multi-byte text, a step printing nothing, and output in pieces over time.
// (One difference is by design: a step's section ends a line remotely, so a partial last line gains a newline.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";
import { makePlan } from "../runtime/helpers.js";
import { startRemoteRun, type RemoteRunTestbed } from "../remote/helpers.js";

describe("remote and local logs of one run", () => {
  let remote: RemoteRunTestbed;
  const steps = ["lines", "partial", "retried", "silent", "paced"];
  before(async () => {
    const plan = makePlan([
      {
        id: "web@dev.deploy",
        steps: [
          { id: "lines", run: "echo one; echo 'ünïcode 🚀 two'" },
          { id: "partial", run: "printf 'no newline at the end'" },
          { id: "retried", run: "if [ -f tried ]; then echo second; else touch tried; printf 'first'; exit 1; fi", retry: 1 },
          { id: "silent", run: "true" },
          { id: "paced", run: "echo a; sleep 0.3; printf 'b'; sleep 0.3; echo c" },
        ],
      },
    ], { name: "lr" });
    remote = await startRemoteRun("orun-rev16b-rem-lr-", plan, "lr-run");
  });
  after(() => remote?.bed.close());

  for (const step of steps) {
    it(`step ${step}: the same output locally and remotely`, async () => {
      const local = await runOrun(["logs", "--exec-id", "lr-run", "--job", "web@dev.deploy", "--step", step, "--raw"], { cwd: remote.bed.dir, env: remote.env });
      const read = await remote.read(["logs", "--job", "web@dev.deploy", "--step", step, "--raw"]);
      assert.equal(local.code, 0, local.stderr);
      assert.equal(read.code, 0, read.stderr);
      // A section of the remote log ends a line (the next step's header follows it): a step whose output did not
      // end with a newline reads with one there (the local record has the bytes as written).
      const expected = step === "partial" ? `${local.stdout}\n` : local.stdout;
      assert.equal(JSON.stringify(read.stdout), JSON.stringify(expected), `local: ${local.stderr}\nremote: ${read.stderr}`);
    });
  }
});
