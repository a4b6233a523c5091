// Runs one command in its own process group with combined stdout+stderr,
// a timeout and an abort signal. On timeout or abort the WHOLE group is
// killed (SIGTERM, then SIGKILL after a grace period), so `sh -c "sleep 9 &
// wait"` cannot leave orphans behind. Output is captured through pipes, or
// (outputDir, used by the spawner helpers) through an unlinked temp file,
// which spares a spawn its pipe and stream objects. Reusable by every runner
// that spawns host processes.
import { spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
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
  /**
   * Capture output through an unlinked temp file in this directory instead of
   * pipes: no pipe or stream objects per spawn (the spawner helpers' hot
   * path). Output of a step still running after LIVE_AFTER_MS is tailed to
   * onOutput as it grows; the rest is read once the process exits.
   */
  outputDir?: string;
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

/** A file-captured step that runs longer than this gets its output tailed live. */
const LIVE_AFTER_MS = 200;
const TAIL_INTERVAL_MS = 100;

let fileSeq = 0;

/** Output captured in an unlinked file: the child writes through the fd, we pread from it. */
class FileCapture {
  readonly fd: number;
  private position = 0;
  private readonly decoder = new StringDecoder("utf8");
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(dir: string) {
    const file = `${dir}/orun-out-${process.pid}-${++fileSeq}`;
    this.fd = openSync(file, "w+", 0o600);
    unlinkSync(file); // nothing to clean up, even if this process dies
  }

  /** New output since the last read, or "" when there is none. */
  read(): string {
    if (fstatSync(this.fd).size <= this.position) return "";
    let text = "";
    for (;;) {
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, this.position);
      if (n <= 0) break;
      this.position += n;
      text += this.decoder.write(this.buffer.subarray(0, n));
    }
    return text;
  }

  close(): string {
    const text = this.read() + this.decoder.end();
    closeSync(this.fd);
    return text;
  }
}

export function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  return request.outputDir !== undefined ? runWithFile(request, request.outputDir) : runWithPipes(request);
}

function runWithFile(request: ProcessRequest, dir: string): Promise<ProcessOutcome> {
  let capture: FileCapture;
  try {
    capture = new FileCapture(dir);
  } catch {
    return runWithPipes(request);
  }
  return new Promise((resolve) => {
    const output = new OutputBuffer(request.onOutput);
    let child;
    try {
      child = spawn(request.command, request.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ["ignore", capture.fd, capture.fd],
      });
    } catch (err) {
      capture.close();
      throw err;
    }
    let tail: NodeJS.Timeout | undefined;
    const live = request.onOutput
      ? setTimeout(() => {
          tail = setInterval(() => output.collect(capture.read()), TAIL_INTERVAL_MS);
        }, LIVE_AFTER_MS)
      : undefined;
    const control = superviseGroup(child, request, output, (outcome) => {
      clearTimeout(live);
      clearInterval(tail);
      output.collect(capture.close());
      return outcome;
    }, resolve);
    child.on("exit", (code, sig) => control.finish(exitResult(code, sig)));
  });
}

/** Combined output kept in memory (capped), every chunk forwarded to onOutput. */
class OutputBuffer {
  text = "";
  truncated = false;
  constructor(private readonly onOutput?: (chunk: string) => void) {}

  collect(text: string): void {
    if (text === "") return;
    if (!this.truncated) {
      if (this.text.length + text.length > MAX_CAPTURE) {
        this.text = (this.text + text).slice(0, MAX_CAPTURE);
        this.truncated = true;
      } else this.text += text;
    }
    this.onOutput?.(text);
  }

  final(): string {
    return this.truncated ? `${this.text}\n[output truncated]` : this.text;
  }
}

type BaseOutcome = Omit<ProcessOutcome, "output" | "timedOut" | "aborted">;

function exitResult(code: number | null, sig: NodeJS.Signals | null): BaseOutcome {
  return { exitCode: code, exitSignal: sig, error: code === 0 ? undefined : code !== null ? `exit status ${code}` : `signal: ${sig}` };
}

/**
 * Timeout, abort and spawn-error handling shared by both capture modes: on
 * timeout or abort the whole process group gets SIGTERM, then SIGKILL.
 * `beforeFinish` runs once, before the outcome is resolved.
 */
function superviseGroup(
  child: ReturnType<typeof spawn>,
  request: ProcessRequest,
  output: OutputBuffer,
  beforeFinish: (outcome: BaseOutcome) => BaseOutcome,
  resolve: (outcome: ProcessOutcome) => void,
): { finish(outcome: BaseOutcome): void } {
  let timedOut = false;
  let aborted = false;
  let settled = false;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
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
  const finish = (base: BaseOutcome): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    request.signal?.removeEventListener("abort", onAbort);
    // Whatever the step left running in its group goes with it.
    if (timedOut || aborted) killGroup("SIGKILL");
    const outcome = beforeFinish(base);
    let error = outcome.error;
    if (timedOut) error = `timed out after ${formatTimeout(request.timeoutMs ?? 0)}`;
    else if (aborted) error = "canceled";
    resolve({ ...outcome, output: output.final(), timedOut, aborted, error });
  };
  child.on("error", (err: NodeJS.ErrnoException) => {
    finish({ exitCode: null, exitSignal: null, error: err.code === "ENOENT" ? `${request.command}: executable file not found in PATH` : err.message });
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
  return { finish };
}

function runWithPipes(request: ProcessRequest): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const output = new OutputBuffer(request.onOutput);
    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (data: Buffer): void => output.collect(data.toString("utf8"));
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const control = superviseGroup(child, request, output, (outcome) => outcome, resolve);
    child.on("exit", (code, sig) => {
      const result = exitResult(code, sig);
      // Give the pipes a moment to drain; a daemonised grandchild holding
      // them open must not hang the step.
      let drained = 0;
      const done = (): void => {
        if (++drained === 2) control.finish(result);
      };
      if (child.stdout.readableEnded) done();
      else child.stdout.once("end", done);
      if (child.stderr.readableEnded) done();
      else child.stderr.once("end", done);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        control.finish(result);
      }, 250).unref();
    });
  });
}
