// A dry-run of `--job J` in execution X whose dependency failed there (rev27 #4): the preview read X to show its
// resume but listed J as to run and exited 0, where the run refuses it ("dependencies not completed").
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { runOrun } from "../support/cli.js";
import { writePlan } from "../remote/processes.js";

let dir: string | undefined;
after(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test("a dry-run of --job in an execution whose dependency failed is refused as the run is", async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-dry-failed-dep-"));
  const plan = await writePlan(dir, "dry", [
    { id: "a@dev.one", run: "exit 3" },
    { id: "b@dev.two", deps: ["a@dev.one"], run: "echo b" },
  ]);
  const first = await runOrun(["run", plan, "--exec-id", "e1"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const real = await runOrun(["run", plan, "--exec-id", "e1", "--job", "b@dev.two"], { cwd: dir });
  assert.equal(real.code, 1, real.stdout + real.stderr);
  assert.match(real.stderr, /cannot run b@dev\.two: dependencies not completed \(a@dev\.one\)/);
  const preview = await runOrun(["run", plan, "--exec-id", "e1", "--job", "b@dev.two", "--dry-run"], { cwd: dir });
  assert.equal(preview.code, 1, preview.stdout + preview.stderr);
  assert.match(preview.stderr, /dependencies not completed \(a@dev\.one\)/);
});
