// Hand-off latches in the native spawn helper, with real processes: a request
// waiting on a latch starts the moment the process that opens it exits 0 —
// even while this process is too busy to answer — and never starts when the
// latch is closed first.
import { test } from "node:test";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { nativeSpawnerPath } from "../../src/runners/process/native-spawner.js";
import { setup, sh } from "./native-spawner-support.js";

/** Blocks this process's event loop (nothing here can answer the helper meanwhile). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const nanos = async (file: string): Promise<number> => Number((await readFile(file, "utf8")).trim()) / 1e6;

test("latch: a waiting request starts when the opener exits 0, without a round trip through this process", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  const latch = spawner.newLatch();
  let started = false;
  const opener = spawner.run(sh("sleep 0.2; date +%s%N > opener-end", dir), { inheritEnv: false, opens: latch });
  const waiter = spawner.run(sh("date +%s%N > waiter-start; echo waited", dir), { inheritEnv: false, waits: latch, onStart: () => (started = true) });
  // This process is deaf for 3 s: the helper alone must start the waiter once the opener ends. The margin is wide
  // so a loaded machine's scheduling delay can't pass for a round trip through this process.
  blockFor(3000);
  const [first, second] = await Promise.all([opener, waiter]);
  assert.equal(first.exitCode, 0);
  assert.equal(second.exitCode, 0);
  assert.equal(second.output, "waited\n");
  assert.equal(second.notStarted, undefined);
  assert.ok(started, "onStart is called when the held process starts");
  const gap = (await nanos(path.join(dir, "waiter-start"))) - (await nanos(path.join(dir, "opener-end")));
  assert.ok(gap >= 0 && gap < 2000, `the waiter started ${gap.toFixed(0)} ms after the opener ended (this process was blocked for 3,000 ms)`);
  assert.deepEqual(await readdir(outDir), []);
});

test("latch: a failing opener leaves the waiter held; closing the latch ends it not started", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  let started = false;
  const opener = await spawner.run(sh("exit 3", dir), { inheritEnv: false, opens: latch });
  assert.equal(opener.exitCode, 3);
  const waiter = spawner.run(sh("touch ran", dir), { inheritEnv: false, waits: latch, onStart: () => (started = true) });
  // A second opener that succeeds opens it (a retried step): only then would the waiter start. Close it first.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(existsSync(path.join(dir, "ran")), false);
  spawner.closeLatch(latch);
  const outcome = await waiter;
  assert.equal(outcome.notStarted, true);
  assert.equal(outcome.exitCode, null);
  assert.equal(outcome.error, undefined);
  assert.equal(started, false);
  assert.equal(existsSync(path.join(dir, "ran")), false);
  // Closed stays closed: a later success does not open it, and a late waiter is answered at once.
  await spawner.run(sh("true", dir), { inheritEnv: false, opens: latch });
  const late = await spawner.run(sh("touch late", dir), { inheritEnv: false, waits: latch });
  assert.equal(late.notStarted, true);
  assert.equal(existsSync(path.join(dir, "late")), false);
});

test("latch: a retried opener that succeeds opens it; a request for an open latch starts at once", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  const waiter = spawner.run(sh("echo second", dir), { inheritEnv: false, waits: latch });
  assert.equal((await spawner.run(sh("exit 1", dir), { inheritEnv: false, opens: latch })).exitCode, 1);
  assert.equal((await spawner.run(sh("true", dir), { inheritEnv: false, opens: latch })).exitCode, 0);
  assert.equal((await waiter).output, "second\n");
  const again = await spawner.run(sh("echo again", dir), { inheritEnv: false, waits: latch });
  assert.equal(again.output, "again\n");
  // Closing an open latch changes nothing.
  spawner.closeLatch(latch);
  assert.equal((await spawner.run(sh("echo still", dir), { inheritEnv: false, waits: latch })).output, "still\n");
});

test("latch: a held request's timeout counts from its start, and a start error is its outcome", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  // Held 3 s behind the opener with a 2 s timeout: counted from the request it would fire, counted from the start
  // it leaves a loaded machine 2 s to run an echo.
  const opener = spawner.run(sh("sleep 3", dir), { inheritEnv: false, opens: latch });
  const waiter = spawner.run(sh("echo done", dir, { timeoutMs: 2000 }), { inheritEnv: false, waits: latch });
  assert.equal((await opener).exitCode, 0);
  const outcome = await waiter;
  assert.equal(outcome.timedOut, false, "held for 3 s behind the opener, its 2 s timeout had not started");
  assert.equal(outcome.output, "done\n");

  const second = spawner.newLatch();
  const missing = spawner.run(sh("true", path.join(dir, "gone")), { inheritEnv: false, waits: second });
  await spawner.run(sh("true", dir), { inheritEnv: false, opens: second });
  const failed = await missing;
  assert.equal(failed.notStarted, undefined);
  assert.match(failed.error ?? "", /working directory .*gone does not exist/);
});

test("latch: several requests wait on one latch and all start when it opens", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  const waiters = [1, 2, 3].map((n) => spawner.run(sh(`echo ${n} >> order`, dir), { inheritEnv: false, waits: latch }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(existsSync(path.join(dir, "order")), false);
  await spawner.run(sh("true", dir), { inheritEnv: false, opens: latch });
  for (const outcome of await Promise.all(waiters)) assert.equal(outcome.exitCode, 0);
  assert.deepEqual((await readFile(path.join(dir, "order"), "utf8")).split("\n").filter(Boolean).sort(), ["1", "2", "3"]);
});

test("latch: a held request canceled before its latch opens never starts", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  const abort = new AbortController();
  const waiter = spawner.run(sh("touch ran", dir, { signal: abort.signal }), { inheritEnv: false, waits: latch });
  await new Promise((resolve) => setTimeout(resolve, 100));
  abort.abort();
  const outcome = await waiter;
  assert.equal(outcome.notStarted, true);
  // Opening the latch afterwards starts nothing.
  await spawner.run(sh("true", dir), { inheritEnv: false, opens: latch });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(existsSync(path.join(dir, "ran")), false);
});

test("latch: a process stopped by its timeout does not open its latch, even when it exits 0 on SIGTERM", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  const stopped = spawner.run(sh("trap 'exit 0' TERM; sleep 5 & wait", dir, { timeoutMs: 300 }), { inheritEnv: false, opens: latch });
  const waiter = spawner.run(sh("touch ran", dir), { inheritEnv: false, waits: latch });
  const outcome = await stopped;
  assert.equal(outcome.timedOut, true);
  assert.equal((await waiter).notStarted, true);
  assert.equal(existsSync(path.join(dir, "ran")), false);
});

test("latch: a frame with an impossible latch number is refused as malformed (the helper exits 74 at once)", async () => {
  const helper = nativeSpawnerPath();
  assert.ok(helper);
  for (const latch of ["18446744073709551615", "-1", "99999999999", "1x"]) {
    const child = spawn(helper, [], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const payload = Buffer.from(`L\0${latch}\0`);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(payload.length, 0);
    child.stdin.write(Buffer.concat([header, payload]));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 74, `latch ${latch}`);
    assert.match(stderr, /malformed request frame/);
  }
});

test("latch: a request to wait once the helper is gone is not started (the caller starts it its own way), not failed", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  process.kill((spawner as unknown as { child: { pid: number } }).child.pid, "SIGKILL");
  // The helper is unreferenced (it keeps no event loop alive): look, rather than wait for its exit event.
  while (spawner.alive) await new Promise((resolve) => setTimeout(resolve, 10));
  const outcome = await spawner.run(sh("touch ran", dir), { inheritEnv: false, waits: latch });
  assert.equal(outcome.notStarted, true);
  assert.equal(outcome.error, undefined);
  // A request that starts at once fails instead: nobody else would start it.
  assert.equal((await spawner.run(sh("true", dir), { inheritEnv: false })).error, "spawner helper exited");
  assert.equal(existsSync(path.join(dir, "ran")), false);
});

test("latch: a held request whose cancel came before it was even sent is withdrawn at once, never started", async (t) => {
  const { spawner, dir } = await setup(t);
  const latch = spawner.newLatch();
  const abort = new AbortController();
  abort.abort();
  const waiter = spawner.run(sh("touch ran", dir, { signal: abort.signal }), { inheritEnv: false, waits: latch });
  // A deadline for the answer, not a measure of it: the withdrawal takes one round trip to the helper.
  let deadline: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([waiter, new Promise<"still held">((resolve) => (deadline = setTimeout(() => resolve("still held"), 15_000)))]);
  clearTimeout(deadline);
  spawner.closeLatch(latch);
  assert.notEqual(outcome, "still held", "the canceled request was still held behind its latch");
  assert.equal((outcome as { notStarted?: boolean }).notStarted, true);
  assert.equal(existsSync(path.join(dir, "ran")), false);
});
