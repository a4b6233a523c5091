// GitHub's runner ends a job by "Cleaning up orphan processes": every process still running whose
// environment carries the job's RUNNER_TRACKING_ID (a server a step started with `&`, a `nohup` watcher) is
// killed, so nothing a job started outlives it; a step that wants a process kept clears RUNNER_TRACKING_ID
// for it. orun does the same at job end, after the post hooks. Linux only (the environment of other
// processes is read from /proc); elsewhere nothing is cleaned up.
import { readFileSync, readdirSync } from "node:fs";

export interface KilledOrphan {
  pid: number;
  name: string;
}

/** Kills the processes whose environment has `RUNNER_TRACKING_ID=<trackingId>`; returns what it killed. */
export function killOrphans(trackingId: string): KilledOrphan[] {
  if (process.platform !== "linux" || !trackingId) return [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const needle = Buffer.from(`RUNNER_TRACKING_ID=${trackingId}\0`);
  const killed: KilledOrphan[] = [];
  // Synchronous reads: a few hundred tiny /proc files take about a millisecond this way, several times that through the thread pool.
  for (const entry of entries) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid) continue;
    const environ = readProc(`/proc/${pid}/environ`);
    // Another user's process (unreadable), or one gone meanwhile: not ours.
    if (!environ || !hasEntry(environ, needle)) continue;
    const name = readProc(`/proc/${pid}/comm`)?.toString("utf8").trim() ?? "";
    try {
      process.kill(pid, "SIGKILL");
      killed.push({ pid, name });
    } catch {
      // exited meanwhile
    }
  }
  return killed.sort((a, b) => a.pid - b.pid);
}

function readProc(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Is `needle` (`K=V\0`) one of the NUL-separated entries of `environ` (not the tail of another's value)? */
function hasEntry(environ: Buffer, needle: Buffer): boolean {
  for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
    if (at === 0 || environ[at - 1] === 0) return true;
  }
  // The last entry may lack its NUL.
  const last = needle.subarray(0, needle.length - 1);
  return environ.length >= last.length && environ.subarray(environ.length - last.length).equals(last) && (environ.length === last.length || environ[environ.length - last.length - 1] === 0);
}
