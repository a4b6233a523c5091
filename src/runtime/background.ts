// `orun run --background`: the parent creates the execution record, then
// re-executes this binary detached with the same arguments (minus
// --background, with the pinned --exec-id), output going to run.log.
import { spawn } from "node:child_process";
import { openSync, closeSync, writeFileSync } from "node:fs";
import path from "node:path";
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

export async function startBackground(store: ExecutionStore, execId: string, cliArgs: readonly string[], cwd: string): Promise<BackgroundRun> {
  const dir = await store.create(execId);
  const logFile = path.join(dir, "run.log");
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(process.execPath, [process.argv[1]!, ...backgroundChildArgs(cliArgs, execId)], {
      cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, [BACKGROUND_CHILD_ENV]: "1", ORUN_EXEC_ID: execId, ORUN_NO_COLOR: "1" },
    });
    child.unref();
    const pid = child.pid ?? 0;
    writeFileSync(path.join(dir, "pid"), `${pid}\n`);
    return { pid, logFile };
  } finally {
    closeSync(fd);
  }
}
