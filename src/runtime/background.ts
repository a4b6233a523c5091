// `orun run --background`: the parent locks and creates the execution record,
// then re-executes this binary detached with the same arguments (minus
// --background, with the pinned --exec-id), output going to run.log. The
// lock passes from parent to child without ever being free, so neither a
// second run nor `orun gc` can slip in during the hand-off.
import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { acquireExecLock } from "./records/lock.js";
import { writeFileAtomic } from "./fs-atomic.js";
import type { ExecutionStore } from "./records/store.js";

export const BACKGROUND_CHILD_ENV = "ORUN_BACKGROUND_CHILD";

/** Arguments for the child: drop --background/--bg and any --exec-id, then pin ours. */
export function backgroundChildArgs(args: readonly string[], execId: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--background" || arg === "--bg") continue;
    if (arg === "--exec-id") {
      i++;
      continue;
    }
    if (arg.startsWith("--exec-id=")) continue;
    out.push(arg);
  }
  return [...out, "--exec-id", execId];
}

export interface BackgroundRun {
  pid: number;
  logFile: string;
}

/** Refuses (OrunError, nothing written) when a live run holds the exec-id's lock. */
export async function startBackground(store: ExecutionStore, execId: string, cliArgs: readonly string[], cwd: string): Promise<BackgroundRun> {
  const dir = store.execDir(execId);
  await mkdir(path.join(dir, "logs"), { recursive: true });
  // Held until the child owns it: the child adopts a lock its parent marked for hand-off.
  const lock = await acquireExecLock(store.lockFile(execId), execId, { handoff: true });
  let pid: number;
  const logFile = path.join(dir, "run.log");
  try {
    await store.create(execId);
    const fd = openSync(logFile, "a");
    try {
      const child = spawn(process.execPath, [process.argv[1]!, ...backgroundChildArgs(cliArgs, execId)], {
        cwd,
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, [BACKGROUND_CHILD_ENV]: "1", ORUN_EXEC_ID: execId, ORUN_NO_COLOR: "1" },
      });
      if (child.pid === undefined) {
        // spawn failed synchronously enough to have no pid: the error event says why.
        throw await new Promise<Error>((resolve) => child.once("error", resolve));
      }
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
  await lock.handOver(pid);
  await writeFileAtomic(path.join(dir, "pid"), `${pid}\n`);
  return { pid, logFile };
}
