// Waiting on real processes in tests: conditions are observed, never assumed after a sleep.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";

/**
 * Polls until `check` holds; fails naming `what` after `ms`. The default is long: it only ends a wait that will
 * never be met, and beside the 50-runner test one orun process took over 30 s to start a job.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A pid that existed and is now gone (exited and reaped). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

/**
 * A loopback port nothing listens on, held for the rest of the test process: a backend, proxy or engine that refuses
 * connections. A port bound then released could be handed by the OS to another test's listen(0) meanwhile; this one
 * is the local port of a connection to a private listener, so it stays bound (not listening) and no listen(0), here or
 * in another process, is given it, while a connection to it is refused.
 */
export async function closedPort(): Promise<number> {
  // The listener's end of the connection is unref'd too: neither end keeps the test process alive.
  const server = createServer((accepted) => accepted.unref());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const holder = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => holder.once("connect", resolve).once("error", reject));
  // The OS releases the port when the process exits.
  server.unref();
  holder.unref();
  return holder.localPort!;
}

/** The loopback address of a test's own server that stops and starts again on one port (restartablePort). */
export const RESTART_HOST = "127.0.0.2";

/**
 * A port for a test's server that stops and starts again on RESTART_HOST: freed between the two, a port could be handed
 * to another test's listen(0), and the restart then failed or the clients reached that test's server. closedPort holds
 * it on 127.0.0.1, which keeps every listen(0) off it (on 127.0.0.1 or every address), while RESTART_HOST:port is the
 * test's alone, refusing connections while its server is down.
 */
export async function restartablePort(): Promise<number> {
  return closedPort();
}

/** True once process `pid` is gone (a detached child, reaped by init). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Sends `signal` to `pid` unless it is already gone: for a test's `finally`, where an ESRCH thrown (the process died
 * of the test's own cleanup, or of the failure being reported) would hide the assertion that failed.
 */
export function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** True once process `pid` has ended: gone, or a zombie nobody has reaped yet (it runs nothing). Reads /proc. */
export function processEnded(pid: number): boolean {
  if (processGone(pid)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return true;
  }
}

/** True while any process is left in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A live process to name in locks and records; killed when the test ends. It sleeps 10 minutes: under load, three
 * orun commands took over 30 s, and a sleeper that ended meanwhile turned a live lock into a dead one.
 */
export async function liveSleeper(t: { after(fn: () => void): void }): Promise<ChildProcess & { pid: number }> {
  const sleeper = spawn("sleep", ["600"]);
  t.after(() => sleeper.kill());
  await new Promise((resolve) => sleeper.once("spawn", resolve));
  return sleeper as ChildProcess & { pid: number };
}
