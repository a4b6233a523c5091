// The `rejoin` line a canceled remote runner prints, and the `again` line of one whose job failed, repeat how the
// runner ran (--concurrency; --fail-fast / --no-fail-fast are refused under remote state, whose plan decides), as the
// local resume line does: pasted, the rest ran at the plan's
// concurrency (camp25 #4 for the local line; closing-25 noted the remote lines). Real `orun run --remote-state`
// processes, a real backend on loopback, the printed lines run through `sh -c`.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { inShell } from "../support/resume-hint.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

describe("a remote runner's printed commands keep its run flags", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rejoin-flags-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("rejoin (after Ctrl-C) and again (after a failure) repeat --concurrency, and run with it pasted", { timeout: 180_000 }, async (t) => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    t.after(async () => {
      await backend.stop();
      await db.cleanup();
    });
    const token = await tokenFor(backend.store, "acme/widgets");
    const started = path.join(dir, "a-started");
    const second = path.join(dir, "second");
    // The plan runs 4 at once; the runner was given 3. a blocks until canceled the first time.
    const planFile = await writePlan(
      dir,
      "flags",
      [
        { id: "a@dev.long", run: `if [ -f ${second} ]; then echo a-rejoined; else touch ${started}; sleep 60; fi` },
        { id: "b@dev.flaky", run: `if [ -f ${second} ]; then echo b-fixed; else exit 3; fi` },
      ],
      { failFast: false },
    );
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: "flags-1", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const walker = spawnOrun(["run", planFile, "--remote-state", "--concurrency", "3"], { cwd: dir, env });
    await until(() => existsSync(started), "a to start", 60_000);
    await until(() => /✗ b·dev\/flaky/.test(walker.output()), "b to fail", 60_000);
    walker.child.kill("SIGINT");
    const r = await walker.done;
    assert.equal(r.code, 130, r.output);
    const rejoin = /\n {2}rejoin {2}(orun run .*)\n/.exec(r.output)?.[1];
    const again = /\n {2}again {3}retry .* in this run if (?:it|they) failed: (orun run .*)\n/.exec(r.output)?.[1];
    assert.ok(rejoin && again, r.output);
    for (const line of [rejoin, again]) assert.match(line, / --concurrency 3 /, line);

    await fs.writeFile(second, "");
    // The token aside (a secret, never printed), each line carries what it needs: backend, run, flags.
    const retried = await inShell(t, again, dir, { ORUN_TOKEN: token });
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /↻ retrying job b@dev\.flaky, which failed in remote run flags-1/);
    const rejoined = await inShell(t, rejoin, dir, { ORUN_TOKEN: token });
    assert.equal(rejoined.code, 0, rejoined.output);
    assert.match(rejoined.output, /↻ taking over job a@dev\.long from a previous runner/);
    // Run at the runner's concurrency, not the plan's 4.
    assert.match(rejoined.output, /· 3× parallel ·/, rejoined.output);
  });
});
