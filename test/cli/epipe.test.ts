import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

test("a reader that closes stdout early (`orun … | head`) does not crash orun", async () => {
  const child = spawn(process.execPath, [ORUN_BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // the reader is gone before orun writes
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error' event/);
  assert.equal(code, 0);
});

test("orun logs --follow | head: the follower stops when its reader goes, not when the run ends", async (t) => {
  // The step prints a lot, then waits for `release`, which the test writes only after the follower has exited.
  const dir = await planDir(t, [{ id: "a@dev.chatty", steps: [{ id: "print", run: "seq 1 300000; while [ ! -f release ]; do sleep 0.05; done" }] }]);
  const run = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "f1"], { cwd: dir, stdio: "ignore" });
  const runEnded = new Promise((resolve) => run.on("exit", resolve));
  try {
    await until(() => existsSync(path.join(dir, ".orun/executions/f1/logs")), "the step to print");
    const follower = spawn(process.execPath, [ORUN_BIN, "logs", "--exec-id", "f1", "--follow"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    follower.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    follower.stdout.once("data", () => follower.stdout.destroy()); // like `head -1`
    const exited = new Promise<number | null>((resolve) => follower.on("exit", resolve));
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(resolve, 20_000, "still following"))]);
    if (code === "still following") follower.kill();
    assert.equal(code, 0);
    assert.equal(stderr, "", "a closed stdout is not an error");
    assert.ok(!existsSync(path.join(dir, "release")), "the run was still going when the follower stopped");
  } finally {
    await writeFile(path.join(dir, "release"), "");
    await runEnded;
  }
});
