// One `orun run` per execution at a time: an exclusive lock file holding the
// owner's pid and host. A lock whose pid no longer exists on this host is
// stale (the owner crashed) and is taken over.
import { open, readFile, rm, stat } from "node:fs/promises";
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { OrunError } from "../../util/errors.js";

export interface ExecLock {
  release(): Promise<void>;
  releaseSync(): void;
}

export async function acquireExecLock(file: string, execId: string): Promise<ExecLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
        releaseSync() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await readOwner(file);
    if (owner && owner.host === os.hostname() && owner.pid !== undefined && isAlive(owner.pid)) {
      throw new OrunError(`execution ${execId} is already running (pid ${owner.pid}); wait for it or use another --exec-id`, {
        location: { file },
      });
    }
    if (owner && owner.host !== undefined && owner.host !== os.hostname()) {
      throw new OrunError(`execution ${execId} is locked by ${owner.host} (pid ${owner.pid ?? "?"}); remove the lock file if that run is gone`, {
        location: { file },
      });
    }
    // Stale: the owner died without releasing. Remove and retry.
    await rm(file, { force: true });
  }
  throw new OrunError(`could not lock execution ${execId}`, { location: { file } });
}

async function readOwner(file: string): Promise<{ pid?: number; host?: string } | undefined> {
  try {
    const data = JSON.parse(await readFile(file, "utf8")) as { pid?: unknown; host?: unknown };
    return { pid: typeof data.pid === "number" ? data.pid : undefined, host: typeof data.host === "string" ? data.host : undefined };
  } catch {
    // Half-written by a process acquiring it right now, or garbage left by a crash.
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs < 2000) return { pid: process.pid === 1 ? 2 : 1, host: os.hostname() };
    return undefined;
  }
}

/** True when `pid` exists and is not a zombie (an unreaped dead process is not an owner). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs: trust kill(0)
  }
}
