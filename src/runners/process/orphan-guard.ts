// Steps spawned directly from this process (no spawn helper: none was built,
// ORUN_LOCAL_SPAWNER=direct, or it died) run in sessions of their own, so
// when orun is killed outright (SIGKILL, the OOM killer) nothing stopped them:
// a resume then ran the step again beside the survivor. The spawn helper stops
// its steps when orun's end closes its input; this guard does the same for
// direct spawns. It is a small detached Node process, started at the first
// direct spawn, told each process group as it starts and as it is done with;
// when its input reaches end-of-file (orun exited, whichever way), it SIGKILLs
// the groups still running. A graceful end has none left.
import { spawn, type ChildProcess } from "node:child_process";

/** The guard itself: reads `+<pgid>` / `-<pgid>` lines; at end-of-file kills what is left. */
const GUARD_SCRIPT = `
const groups = new Set();
let rest = "";
process.stdin.setEncoding("latin1");
process.stdin.on("data", (text) => {
  const lines = (rest + text).split("\\n");
  rest = lines.pop();
  for (const line of lines) (line[0] === "+" ? groups.add(line.slice(1)) : groups.delete(line.slice(1)));
});
const end = () => {
  for (const group of groups) try { process.kill(-Number(group), "SIGKILL"); } catch {}
  process.exit(0);
};
process.stdin.on("end", end);
process.stdin.on("error", end);
`;

let guard: ChildProcess | undefined | null;

function started(): ChildProcess | undefined {
  if (guard === null) return undefined; // could not start: spawns go unguarded, as before
  if (guard) return guard;
  try {
    // Detached (its own session): a signal to orun's process group or terminal does not reach it first.
    guard = spawn(process.execPath, ["-e", GUARD_SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"], env: {} });
  } catch {
    guard = null;
    return undefined;
  }
  guard.on("error", () => (guard = null));
  guard.stdin!.on("error", () => (guard = null));
  // Neither keeps orun alive: the guard is meant to outlive it.
  guard.unref();
  (guard.stdin as { unref?: () => void }).unref?.();
  return guard;
}

/**
 * Starts the guard (once) and returns how to guard a process group: call it before spawning, so that the guard
 * exists by the time the process does, then pass it the new process's pid (`detached: true`: its group). The
 * group is killed should orun end before the function it returns is called.
 */
export function orphanGuard(): (pgid: number) => () => void {
  const child = started();
  if (!child) return () => () => undefined;
  return (pgid) => {
    if (guard !== child) return () => undefined;
    child.stdin!.write(`+${pgid}\n`);
    return () => {
      if (guard === child) child.stdin!.write(`-${pgid}\n`);
    };
  };
}
