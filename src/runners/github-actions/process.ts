// Spawns one action/script process in its own process group. stdout and
// stderr are split into lines separately (so a partial line on one stream
// never merges with the other) and each line goes through the caller's
// workflow-command processor before anything is shown or kept.
import { spawn } from "node:child_process";
import { LineSplitter } from "./workflow-commands.js";

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  timeoutMs?: number;
  /** Each raw output line; returns the text to show, or undefined to hide it. */
  onLine: (line: string) => void;
}

export interface SpawnOutcome {
  exitCode: number | null;
  timedOut: boolean;
  /** `exit status 3`, `signal: SIGTERM`, `command timed out after 2s`, `canceled`, spawn errors. */
  error?: string;
}

const KILL_GRACE_MS = 2000;

export function spawnProcess(request: SpawnRequest): Promise<SpawnOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    const child = spawn(request.command, request.args, { cwd: request.cwd, env: request.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const out = new LineSplitter(request.onLine);
    const err = new LineSplitter(request.onLine);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => err.push(chunk));

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const terminate = (): void => {
      killGroup("SIGTERM");
      killTimer ??= setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    };
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    const finish = (exitCode: number | null, error: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      request.signal.removeEventListener("abort", onAbort);
      out.flush();
      err.flush();
      if (timedOut || aborted) killGroup("SIGKILL");
      if (timedOut) error = `command timed out after ${Math.round((request.timeoutMs ?? 0) / 100) / 10}s`;
      else if (aborted) error = "canceled";
      resolve({ exitCode, timedOut, error });
    };

    child.on("error", (e: NodeJS.ErrnoException) => finish(null, e.code === "ENOENT" ? `${request.command}: not found` : e.message));
    const exitError = (code: number | null, sig: NodeJS.Signals | null): string | undefined =>
      code === 0 ? undefined : code !== null ? `exit status ${code}` : `signal: ${sig}`;
    child.on("close", (code, sig) => finish(code, exitError(code, sig)));
    // A daemonised grandchild may hold the pipes open: don't wait for it forever.
    child.on("exit", (code, sig) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, exitError(code, sig));
      }, 500).unref();
    });
    if (request.timeoutMs !== undefined && request.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, request.timeoutMs);
    }
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener("abort", onAbort, { once: true });
  });
}
