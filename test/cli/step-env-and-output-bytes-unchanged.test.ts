// Round 16 runtime audit: what a step declares and writes arrives unchanged. An env variable named
// `__proto__` reaches the step (a plain object's assignment dropped it); a step's output is logged byte for
// byte (invalid UTF-8 became U+FFFD in logs/<job>/<step>.log and `orun logs --raw`). Both ways of spawning
// (the native helper, and ORUN_LOCAL_SPAWNER=direct), and a job handed over to start as its dependency ends.
// An environment the kernel refuses (E2BIG) names the variable too long ("spawn E2BIG" named nothing).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type StateFile } from "../runtime/helpers.js";

/** What `printf '\377\376ok\n'` writes: not UTF-8. */
const BINARY = Buffer.from([0xff, 0xfe, 0x6f, 0x6b, 0x0a]);

/** orun's stdout as bytes (runOrun decodes it). */
function orunBytes(args: string[], cwd: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ORUN_BIN, ...args], { cwd, encoding: "buffer", env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

for (const spawner of ["native", "direct"] as const) {
  const env = { ORUN_LOCAL_SPAWNER: spawner };

  test(`${spawner} spawns: env variables named __proto__ and constructor reach the step`, async (t) => {
    // JSON.parse keeps `__proto__` as an ordinary key (an object literal would set the prototype).
    const jobEnv = JSON.parse('{"__proto__": "from-job", "constructor": "c"}') as Record<string, string>;
    const stepEnv = JSON.parse('{"__proto__": "from-step", "hasOwnProperty": "h"}') as Record<string, string>;
    const dir = await planDir(t, [
      { id: "api@dev.env", env: jobEnv, steps: [{ env: stepEnv, run: "printenv __proto__ > proto.txt; printenv constructor > ctor.txt; printenv hasOwnProperty > own.txt" }] },
    ]);
    const result = await runOrun(["run", "plan.json", "--exec-id", "proto"], { cwd: dir, env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await readFile(path.join(dir, "proto.txt"), "utf8"), "from-step\n", "the step's own value wins over the job's");
    assert.equal(await readFile(path.join(dir, "ctor.txt"), "utf8"), "c\n");
    assert.equal(await readFile(path.join(dir, "own.txt"), "utf8"), "h\n");
  });

  test(`${spawner} spawns: an environment too big to start a process is an error naming the variable`, async (t) => {
    const dir = await planDir(t, [
      { id: "api@dev.big", env: { SMALL: "1", HUGE: "x".repeat(200_000) }, steps: [{ id: "s", run: "echo never" }] },
      { id: "api@dev.fine", env: { LARGE: "y".repeat(100_000) }, steps: [{ id: "s", run: 'echo "${#LARGE}" > large.txt' }] },
    ]);
    const result = await runOrun(["run", "plan.json", "--exec-id", "big"], { cwd: dir, env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const state = await readJson<StateFile>(recordFile(dir, "big", "state.json"));
    assert.equal(
      state.jobs["api@dev.big"]!.lastError,
      "step s: cannot start the step: its environment and arguments are too large for the system (E2BIG): env variable HUGE is 200005 bytes, over the 128 KiB Linux allows for one",
    );
    assert.equal(state.jobs["api@dev.fine"]!.status, "completed");
    assert.equal(await readFile(path.join(dir, "large.txt"), "utf8"), "100000\n");
  });

  test(`${spawner} spawns: a step's log holds exactly the bytes it wrote; logs --raw (and --follow) prints them`, async (t) => {
    const dir = await planDir(t, [
      { id: "api@dev.bin", steps: [{ id: "print", run: "printf '\\377\\376ok\\n'" }] },
      // Handed over (it waits only for api@dev.bin, and no job waits for a slot): its output is held until the
      // executor takes the job over.
      { id: "api@dev.after", dependsOn: ["api@dev.bin"], steps: [{ id: "print", run: "printf '\\377\\376ok\\n'" }] },
      // A long-running step: its output is tailed while it runs, a multi-byte character split across reads.
      { id: "api@dev.slow", steps: [{ id: "print", run: "printf '\\342\\202'; sleep 0.6; printf '\\254\\377\\n'" }] },
    ], { concurrency: 2 });
    const result = await runOrun(["run", "plan.json", "--exec-id", "bytes", "--verbose"], { cwd: dir, env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const job of ["api@dev.bin", "api@dev.after"]) {
      assert.deepEqual(await readFile(recordFile(dir, "bytes", `logs/${job}/print.log`)), BINARY, job);
    }
    const slow = Buffer.from([0xe2, 0x82, 0xac, 0xff, 0x0a]);
    assert.deepEqual(await readFile(recordFile(dir, "bytes", "logs/api@dev.slow/print.log")), slow);
    // The console decodes: the euro sign split across two reads is whole, the bad byte is U+FFFD.
    assert.match(result.stdout, /€\uFFFD/);

    const raw = await orunBytes(["logs", "--exec-id", "bytes", "--job", "api@dev.bin", "--raw"], dir);
    assert.equal(raw.code, 0, raw.stderr);
    assert.deepEqual(raw.stdout, BINARY);
    const followed = await orunBytes(["logs", "--exec-id", "bytes", "--job", "api@dev.slow", "--raw", "--follow"], dir);
    assert.equal(followed.code, 0, followed.stderr);
    assert.deepEqual(followed.stdout, slow);
    // Without --raw the view is text (decoded) with headers.
    const text = await runOrun(["logs", "--exec-id", "bytes", "--job", "api@dev.bin"], { cwd: dir });
    assert.match(text.stdout, /\uFFFD\uFFFDok/);
  });
}
