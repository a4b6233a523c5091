// Runs one command in its own process group with combined stdout+stderr,
// a timeout and an abort signal. On timeout or abort the WHOLE group is
// killed (SIGTERM, then SIGKILL after a grace period), so `sh -c "sleep 9 &
// wait"` cannot leave orphans behind. Reusable by every runner that spawns
// host processes.
import { spawn } from "node:child_process";
import { formatTimeout } from "../../runtime/duration.js";

export interface ProcessRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Kill the process group after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

export interface ProcessOutcome {
  exitCode: number | null;
  /** Signal that ended the process, e.g. SIGKILL. */
  exitSignal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
  aborted: boolean;
  /** `exit status 3`, `timed out after 2s`, `signal: SIGKILL`, `canceled`, or a spawn error; undefined on success. */
  error?: string;
}

/** Output kept in memory per process; the full stream still goes to onOutput (and the log file). */
const MAX_CAPTURE = 1024 * 1024;

export function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let output = "";
    let truncated = false;
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;

    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });

    const collect = (data: Buffer): void => {
      const text = data.toString("utf8");
      if (!truncated) {
        if (output.length + text.length > MAX_CAPTURE) {
          output = (output + text).slice(0, MAX_CAPTURE);
          truncated = true;
        } else output += text;
      }
      request.onOutput?.(text);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // group already gone
      }
    };
    const terminate = (): void => {
      killGroup("SIGTERM");
      killTimer ??= setTimeout(() => killGroup("SIGKILL"), request.killGraceMs ?? 2000);
    };
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };

    const finish = (outcome: Omit<ProcessOutcome, "output" | "timedOut" | "aborted">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      request.signal?.removeEventListener("abort", onAbort);
      // Whatever the step left running in its group goes with it.
      if (timedOut || aborted) killGroup("SIGKILL");
      let error = outcome.error;
      if (timedOut) error = `timed out after ${formatTimeout(request.timeoutMs ?? 0)}`;
      else if (aborted) error = "canceled";
      if (truncated) output += "\n[output truncated]";
      resolve({ ...outcome, output, timedOut, aborted, error });
    };

    child.on("error", (err: NodeJS.ErrnoException) => {
      finish({ exitCode: null, exitSignal: null, error: err.code === "ENOENT" ? `${request.command}: executable file not found in PATH` : err.message });
    });
    child.on("exit", (code, sig) => {
      const result = {
        exitCode: code,
        exitSignal: sig,
        error: code === 0 ? undefined : code !== null ? `exit status ${code}` : `signal: ${sig}`,
      };
      // Give the pipes a moment to drain; a daemonised grandchild holding
      // them open must not hang the step.
      let drained = 0;
      const done = (): void => {
        if (++drained === 2) finish(result);
      };
      if (child.stdout!.readableEnded) done();
      else child.stdout!.once("end", done);
      if (child.stderr!.readableEnded) done();
      else child.stderr!.once("end", done);
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(result);
      }, 250).unref();
    });

    if (request.timeoutMs !== undefined && request.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, request.timeoutMs);
    }
    if (request.signal) {
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener("abort", onAbort, { once: true });
    }
  });
}
