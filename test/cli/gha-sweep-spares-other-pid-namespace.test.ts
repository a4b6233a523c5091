// orun run --gha sweeps the spawn helper's output folders that killed runs left under TMPDIR — only its own
// pid namespace's. An orun under `unshare --pid` (pid 1 there) shares the host's name and /tmp: judged by this
// namespace's pids its live folder looked dead, and a run here removed it while its step ran (rev16b-ci #1).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { ghaOutputPrefix } from "../../src/runners/github-actions/stale-scratch.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

// A pid namespace of our own needs root (CI runs as root to install the engine).
const unshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]);
const noNamespaces = unshare.status === 0 ? undefined : `unshare --pid is not available here: ${String(unshare.stderr || unshare.error?.message).trim()}`;

describe("the gha helper's output folder prefix", () => {
  it("names a pid namespace other than the host's initial one, and keeps the initial one's name", () => {
    assert.equal(ghaOutputPrefix("4026531836"), "orun-gha-out-");
    assert.equal(ghaOutputPrefix(undefined), "orun-gha-out-");
    assert.equal(ghaOutputPrefix("4026532999"), "orun-gha-out-4026532999-");
  });
});

describe("orun run --gha next to a --gha run in another pid namespace", { skip: noNamespaces }, () => {
  let ws = "";
  after(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it("leaves the other run's live output folder alone", async () => {
    ws = await tempDir("rev16b-ci-ns");
    const tmp = path.join(ws, "tmpdir");
    await mkdir(tmp);
    const env = { TMPDIR: tmp, ORUN_LOCAL_SPAWNER: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache"), NO_COLOR: "1" };
    // Run A (its own pid namespace) waits in its step until ./go exists, then finishes.
    const waitForGo = "touch started; while [ ! -e go ]; do sleep 0.05; done; echo finished > a.out";
    await writeFile(path.join(ws, "a.json"), JSON.stringify(makePlan([makeJob("app@dev.a", [{ id: "s", run: waitForGo }])], "a")));
    await writeFile(path.join(ws, "b.json"), JSON.stringify(makePlan([makeJob("app@dev.b", [{ id: "s", run: "true" }])], "b")));
    const runA = spawn("unshare", ["--pid", "--fork", "--kill-child", "--mount-proc", process.execPath, ORUN_BIN, "run", "a.json", "--gha", "--exec-id", "a-1"], {
      cwd: ws,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let outputA = "";
    runA.stdout.on("data", (chunk: Buffer) => (outputA += chunk.toString()));
    runA.stderr.on("data", (chunk: Buffer) => (outputA += chunk.toString()));
    const exitedA = new Promise<number | null>((resolve) => runA.once("close", resolve));
    try {
      await until(() => existsSync(path.join(ws, "started")), "run A's step to start");
      const foldersA = (await readdir(tmp)).filter((name) => name.startsWith("orun-gha-out-"));
      assert.equal(foldersA.length, 1, `run A has its output folder: ${foldersA.join(", ")}`);

      // Run B, in this namespace, sweeps dead runs' folders when its helper starts.
      const b = await runOrun(["run", "b.json", "--gha", "--exec-id", "b-1"], { cwd: ws, env, timeoutMs: 60_000 });
      assert.equal(b.code, 0, b.stdout + b.stderr);
      assert.ok(existsSync(path.join(tmp, foldersA[0]!)), "run A's live output folder stays");

      await writeFile(path.join(ws, "go"), "");
      assert.equal(await exitedA, 0, outputA);
      assert.ok(existsSync(path.join(ws, "a.out")), "run A's step finished");
    } finally {
      runA.kill("SIGKILL");
      await exitedA;
    }
  });
});
