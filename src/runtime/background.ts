// `orun run --background`: the parent locks and creates the execution record,
// then re-executes this binary detached with the same arguments (minus
// --background, with the pinned --exec-id), output going to run.log. The
// lock passes from parent to child without ever being free, so neither a
// second run nor `orun gc` can slip in during the hand-off.
import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { acquireExecLock } from "./records/lock.js";
import { toJson, writeFileAtomic } from "./fs-atomic.js";
import { pendingBackgroundPid, type ExecutionStore, type RunMetadata } from "./records/store.js";

/** Set for the detached child only; its value is the execution record's folder. */
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
        env: { ...process.env, [BACKGROUND_CHILD_ENV]: dir, ORUN_EXEC_ID: execId, ORUN_NO_COLOR: "1" },
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

/**
 * The detached child failed before its run wrote the record's metadata (the plan no longer compiles, the
 * runner refuses it, a --job whose dependencies are not done…): nobody is watching its terminal, so the
 * record says so — `orun status` shows the error and `status --watch` / `logs --follow` end instead of
 * waiting for a run that never starts. Metadata this child's run wrote is left as that run closed it.
 */
export async function recordBackgroundFailure(recordDir: string, execId: string, error: string): Promise<void> {
  if (path.basename(recordDir) !== execId) return;
  const file = path.join(recordDir, "metadata.json");
  // An earlier run of this execution (resumed in the background) keeps its plan and counts; this attempt failed.
  const text = await readFile(file, "utf8").catch(() => undefined);
  let earlier: RunMetadata | undefined;
  try {
    earlier = text === undefined ? undefined : (JSON.parse(text) as RunMetadata);
  } catch {
    return; // a corrupt file is evidence for the user, not something to write over
  }
  if (earlier && (await pendingBackgroundPid(recordDir)) === undefined) return;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const meta: RunMetadata = {
    planId: "",
    planName: "",
    jobTotal: 0,
    jobDone: 0,
    jobFailed: 0,
    ...earlier,
    execId,
    startedAt: earlier?.startedAt ?? now,
    finishedAt: now,
    status: "failed",
    trigger: "background",
    user: userName(),
    dryRun: false,
    pid: process.pid,
    error,
  };
  await writeFileAtomic(file, toJson(meta)).catch(() => undefined);
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}
