// Steps spawned directly from this process (no spawn helper: none was built,
// ORUN_LOCAL_SPAWNER=direct, or it died) run in sessions of their own, so
// when orun is killed outright (SIGKILL, the OOM killer) nothing stopped them:
// a resume then ran the step again beside the survivor. The spawn helper stops
// its steps when orun's end closes its input; this guard does the same for
// direct spawns. Node cannot ask the kernel to signal a child when its parent
// dies (prctl PR_SET_PDEATHSIG needs native code: that is the helper), so the
// guard is a tiny detached `sh` (about 1.5 MB resident; a Node guard took 40 MB
// per orun process), started at the first direct spawn and told each process
// group as it starts and as it ends; when its input reaches end-of-file (orun
// exited, whichever way), it SIGKILLs the groups still running. A graceful end
// has none left.
import { spawn, type ChildProcess } from "node:child_process";

/**
 * The guard itself: reads `+<pgid>` / `-<pgid>` lines, keeps the listed groups as " 12 34 "; at end-of-file
 * kills what is left. POSIX sh only (dash).
 */
const GUARD_SCRIPT = `groups=" "
while IFS= read -r line; do
  case $line in
    +*) groups="$groups\${line#+} " ;;
    -*) id=\${line#-}; case $groups in *" $id "*) groups="\${groups%%" $id "*} \${groups#*" $id "}" ;; esac ;;
  esac
done
for id in $groups; do kill -s KILL -- "-$id" 2>/dev/null; done`;

let guard: ChildProcess | undefined | null;

function started(): ChildProcess | undefined {
  if (guard === null) return undefined; // could not start: spawns go unguarded, as before
  if (guard) return guard;
  try {
    // Detached (its own session): a signal to orun's process group or terminal does not reach it first.
    guard = spawn("/bin/sh", ["-c", GUARD_SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"], env: { PATH: "/usr/bin:/bin" } });
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
 * group is killed should orun end before the function it returns is called. Call that as soon as the group's
 * leader has been reaped (once its group may be empty, its id may be reused by an unrelated process group),
 * except while stopping it (then after the group's SIGKILL); calling it again does nothing.
 */
export function orphanGuard(): (pgid: number) => () => void {
  const child = started();
  if (!child) return () => () => undefined;
  return (pgid) => {
    if (guard !== child) return () => undefined;
    child.stdin!.write(`+${pgid}\n`);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (guard === child) child.stdin!.write(`-${pgid}\n`);
    };
  };
}
