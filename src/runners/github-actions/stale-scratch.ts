// Scratch folders of runs that died without cleaning up (orun SIGKILLed, a
// crash, a lost machine): a later run removes them. Each folder names its
// owner, so a live run's folder is never touched.
//
// - `<tmpdir>/orun-gha-out-[<pid namespace>-]<host>-<pid>-<start ticks>-XXXXXX`: the spawn helper's raw
//   step output, one per orun process (removed when it exits normally); the docker runner's
//   `orun-docker-out-…`, one per run, the same way.
// - `<record>/tmp/github-actions/`: a run's job folders (HOME, file commands
//   with what steps exported, scripts, action copies), owned by the run whose
//   record lock (`.lock`) names a live process.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readlinkSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isAlive, lockHolder, ownerAlive, processStartTicks } from "../../runtime/records/lock.js";

/** The kernel's initial pid namespace (PROC_PID_INIT_INO): its folders keep the name they always had. */
const INITIAL_PID_NAMESPACE = "4026531836";

/**
 * The github-actions runner's output folders (the docker runner's are `orun-docker-out-<pid namespace>-`).
 * Outside the host's initial pid namespace the namespace is in the name, and a run sweeps only its own
 * namespace's folders: the pids of another (an orun under `unshare --pid`, or in a container sharing the
 * host's name and /tmp) mean nothing here, and its live folder looked dead and was removed mid-step.
 */
const OUTPUT_PREFIX = ghaOutputPrefix(pidNamespaceId());

export function ghaOutputPrefix(namespace: string | undefined): string {
  return namespace === undefined || namespace === INITIAL_PID_NAMESPACE ? "orun-gha-out-" : `orun-gha-out-${namespace}-`;
}

/** This process's pid namespace (`pid:[4026531836]` → `4026531836`); undefined without procfs. */
function pidNamespaceId(): string | undefined {
  try {
    return /^pid:\[(\d+)\]$/.exec(readlinkSync("/proc/self/ns/pid"))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * This host, in folder names: a TMPDIR shared with another host or container (another pid namespace)
 * holds folders whose pids mean nothing here, and those are left alone.
 */
const HOST = createHash("sha256").update(os.hostname()).digest("hex").slice(0, 8);

/** A new output folder for this process, named after it (host, pid, start time) so others can tell when it is stale. */
export function createOutputDir(base = os.tmpdir(), prefix = OUTPUT_PREFIX): string {
  return mkdtempSync(path.join(base, `${prefix}${HOST}-${process.pid}-${processStartTicks(process.pid) ?? "x"}-`));
}

/** Removes this host's output folders whose process is gone (other hosts' and older orun versions' are left alone). */
export async function removeDeadOutputDirs(base = os.tmpdir(), prefix = OUTPUT_PREFIX): Promise<string[]> {
  const owned = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}([0-9a-f]{8})-(\\d+)-(\\d+|x)-[A-Za-z0-9]+$`);
  const removed: string[] = [];
  const names = await readdir(base).catch(() => [] as string[]);
  for (const name of names) {
    const owner = owned.exec(name);
    if (!owner || owner[1] !== HOST) continue;
    const pid = Number(owner[2]);
    const alive = owner[3] === "x" ? isAlive(pid) : ownerAlive({ pid, startTime: Number(owner[3]) });
    if (pid === process.pid || alive) continue;
    await rm(path.join(base, name), { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/**
 * Removes `tmp/github-actions` of the other execution records beside this run's whose run is over (no live
 * process holds their lock, and the lock could be read). `scratchDir` is this run's `<executions>/<id>/tmp`; anything else is left alone.
 */
export async function removeDeadJobFolders(scratchDir: string): Promise<string[]> {
  const execDir = path.dirname(scratchDir);
  const executions = path.dirname(execDir);
  if (path.basename(scratchDir) !== "tmp" || path.basename(executions) !== "executions") return [];
  const removed: string[] = [];
  const names = await readdir(executions).catch(() => [] as string[]);
  for (const name of names) {
    const record = path.join(executions, name);
    if (record === execDir) continue;
    const folder = path.join(record, "tmp", "github-actions");
    if (!existsSync(folder)) continue;
    // A lock that cannot be read (EACCES, EIO, EMFILE) may be a live run's: its folder is left alone.
    const { owner, readError } = await lockHolder(path.join(record, ".lock"));
    if (owner || readError) continue;
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    removed.push(folder);
  }
  return removed;
}
