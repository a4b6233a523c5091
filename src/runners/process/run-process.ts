// Runs one command in its own process group with combined stdout+stderr,
// a timeout and an abort signal. On timeout or abort the WHOLE group is
// killed (SIGTERM, then SIGKILL after a grace period), so `sh -c "sleep 9 &
// wait"` cannot leave orphans behind. runProcess spawns directly from this
// process (Node's child_process, output through pipes); native-spawner.ts
// starts processes through a small helper with the same supervision.
// Reusable by every runner that spawns host processes.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { formatTimeout } from "../../runtime/duration.js";
import { incompleteCharacter } from "../../runtime/output/utf8.js";
import { outputBacklogged } from "../../util/output-pressure.js";
import { longTimeout } from "../../util/timers.js";
import { consoleDrained } from "./console-wait.js";
import { orphanGuard } from "./orphan-guard.js";

export interface ProcessRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Kill the process group after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  /** The output's bytes as the process wrote them; when set, streamed output goes here instead of to onOutput. */
  onOutputBytes?: (chunk: Buffer) => void;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Called once, just before a timeout or abort first signals the process group. */
  beforeTerminate?: () => void;
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
  /** A request held for a latch that closed: nothing ran (see native-spawner.ts). */
  notStarted?: boolean;
}

/** Output kept in memory per process; the full stream still goes to onOutput (and the log file). */
const MAX_CAPTURE = 1024 * 1024;

export function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  return runWithPipes(request);
}

/**
 * Combined output kept in memory as text (capped), every chunk forwarded: its bytes to onOutputBytes when
 * that is set (the step log keeps exactly what the process wrote), else its text to onOutput.
 */
export class OutputBuffer {
  text = "";
  truncated = false;
  constructor(
    private readonly onOutput?: (chunk: string) => void,
    private readonly onOutputBytes?: (chunk: Buffer) => void,
  ) {}

  /** `text` is `raw` decoded; `raw` is absent for what a decoder still held at the end (its bytes went before). */
  collect(text: string, raw?: Buffer): void {
    if (text !== "" && !this.truncated) {
      if (this.text.length + text.length > MAX_CAPTURE) {
        this.text = (this.text + text).slice(0, MAX_CAPTURE);
        this.truncated = true;
      } else this.text += text;
    }
    if (this.onOutputBytes) {
      if (raw !== undefined && raw.length > 0) this.onOutputBytes(raw);
    } else if (text !== "") this.onOutput?.(text);
  }

  final(): string {
    return this.truncated ? `${this.text}\n[output truncated]` : this.text;
  }
}

export type BaseOutcome = Omit<ProcessOutcome, "output" | "timedOut" | "aborted">;

export function exitResult(code: number | null, sig: NodeJS.Signals | null): BaseOutcome {
  return { exitCode: code, exitSignal: sig, error: code === 0 ? undefined : code !== null ? `exit status ${code}` : `signal: ${sig}` };
}

/** Where a supervised process stands; its pid may arrive after supervision starts. */
export interface GroupControl {
  /** The process (and group leader) started; a kill requested before this is delivered now. */
  started(pid: number): void;
  finish(outcome: BaseOutcome): void;
  /**
   * The process has ended but its output is still being read (at the console's pace): from now on neither its
   * time limit nor a cancel applies to it (its group may be gone and its pid reused).
   */
  exited(): void;
  /** Whether a timeout or cancel has begun stopping the group (it gets its SIGKILL at finish). */
  stopping(): boolean;
}

/**
 * Timeout and abort handling shared by every way of spawning: on timeout or
 * abort the whole process group gets SIGTERM, then SIGKILL. `beforeFinish`
 * runs once, before the outcome is resolved.
 */
export function superviseGroup(
  request: ProcessRequest,
  output: OutputBuffer,
  beforeFinish: (outcome: BaseOutcome) => BaseOutcome,
  resolve: (outcome: ProcessOutcome) => void,
): GroupControl {
  let pid: number | undefined;
  let timedOut = false;
  let aborted = false;
  let settled = false;
  let pendingSignal: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let clearTimeoutTimer: (() => void) | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (pid === undefined) {
      pendingSignal = sig;
      return;
    }
    try {
      process.kill(-pid, sig);
    } catch {
      // group already gone
    }
  };
  const terminate = (): void => {
    if (!killTimer) request.beforeTerminate?.();
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
    clearTimeoutTimer?.();
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
  const started = (startedPid: number): void => {
    pid = startedPid;
    if (pendingSignal && !settled) killGroup(pendingSignal);
  };
  const exited = (): void => {
    clearTimeoutTimer?.();
    clearTimeoutTimer = undefined;
    clearTimeout(killTimer);
    request.signal?.removeEventListener("abort", onAbort);
    pid = undefined;
    pendingSignal = undefined;
  };
  if (request.timeoutMs !== undefined && request.timeoutMs > 0) {
    clearTimeoutTimer = longTimeout(() => {
      timedOut = true;
      terminate();
    }, request.timeoutMs);
  }
  if (request.signal) {
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener("abort", onAbort, { once: true });
  }
  return { started, finish, exited, stopping: () => timedOut || aborted };
}

/** The error text for a process that could not be started. */
export function spawnError(command: string, code: string | undefined, message: string): BaseOutcome {
  return { exitCode: null, exitSignal: null, error: code === "ENOENT" ? `${command}: executable file not found in PATH` : message };
}

/** After the process has exited, how long its pipes may stay open (a daemon it left holds them) before orun stops reading. */
const DRAIN_AFTER_EXIT_MS = 250;

function runWithPipes(request: ProcessRequest): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const output = new OutputBuffer(request.onOutput, request.onOutputBytes);
    // Should orun be killed outright, the guard stops the group (see orphan-guard.ts); started first, so that it
    // exists by the time the step does.
    const guard = orphanGuard();
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(request.command, request.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      // Some failures throw at once (E2BIG: an environment exec refuses) instead of emitting `error`.
      const { code, message } = err as NodeJS.ErrnoException;
      resolve({ ...spawnError(request.command, code, message), output: "", timedOut: false, aborted: false });
      return;
    }
    const streams = [child.stdout, child.stderr];
    // Behind a slow reader of orun's stdout the console queues what it cannot write, in memory and without limit
    // (200 MB of output held 1.1 GB): while it is backed up the pipes are not read, so the step waits on its
    // writes as it would writing to a slow terminal (util/output-pressure.ts).
    const live = request.onOutput !== undefined || request.onOutputBytes !== undefined;
    let consoleWait: Promise<void> | undefined;
    const pauseForConsole = (): void => {
      if (consoleWait || !outputBacklogged()) return;
      for (const stream of streams) stream.pause();
      consoleWait = consoleDrained(request.signal).then(() => {
        consoleWait = undefined;
        for (const stream of streams) if (!stream.destroyed) stream.resume();
      });
    };
    // One decoder per stream: a character split between two reads stays whole. The bytes go on whole characters
    // at a time too (a cut one's first bytes wait for the rest of its stream's): stdout and stderr are combined,
    // and their combined bytes are decoded for the console and remote logs, where a character cut by the other
    // stream's output in between became two U+FFFD.
    const flushHeld: (() => void)[] = [];
    for (const stream of streams) {
      const decoder = new StringDecoder("utf8");
      let held: Buffer | undefined;
      flushHeld.push(() => {
        output.collect(decoder.end(), held);
        held = undefined;
      });
      stream.on("data", (chunk: Buffer) => {
        const data = held ? Buffer.concat([held, chunk]) : chunk;
        const whole = data.length - incompleteCharacter(data);
        held = whole < data.length ? Buffer.from(data.subarray(whole)) : undefined;
        output.collect(decoder.write(chunk), data.subarray(0, whole));
        if (live) pauseForConsole();
      });
      stream.on("end", flushHeld[flushHeld.length - 1]!);
    }
    const release = child.pid !== undefined ? guard(child.pid) : () => undefined;
    const control = superviseGroup(request, output, (outcome) => (release(), outcome), resolve);
    if (child.pid !== undefined) control.started(child.pid);
    child.on("error", (err: NodeJS.ErrnoException) => control.finish(spawnError(request.command, err.code, err.message)));
    child.on("exit", (code, sig) => {
      // Reaped: its group may be empty and its id reused, so the guard lets it go now (what the step left running
      // survives orun, as after the step's end). A group being stopped is let go once it has had its SIGKILL.
      if (!control.stopping()) release();
      const result = exitResult(code, sig);
      let drained = 0;
      const done = (): void => {
        if (++drained === 2) control.finish(result);
      };
      for (const stream of streams) {
        if (stream.readableEnded) done();
        else stream.once("end", done);
      }
      // Give the pipes a moment to drain; a daemonised grandchild holding them open must not hang the step. The
      // moment does not count while the console is backed up: paused pipes still hold the step's last output
      // (Node resumes a child's pipes once it exits; a daemon that goes on writing is paused again).
      const drainOrStop = (): void => {
        if (consoleWait) {
          // The process has ended: its time limit and a cancel no longer apply while its output waits for the console.
          if (!control.stopping()) control.exited();
          void consoleWait.then(() => setTimeout(drainOrStop, DRAIN_AFTER_EXIT_MS).unref());
          return;
        }
        for (const stream of streams) stream.destroy();
        for (const flush of flushHeld) flush(); // a daemon holds the pipes: what the step wrote is logged whole
        control.finish(result);
      };
      setTimeout(drainOrStop, DRAIN_AFTER_EXIT_MS).unref();
    });
  });
}
