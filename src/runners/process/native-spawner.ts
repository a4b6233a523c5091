// Starts processes through orun-spawn (native/orun-spawn.c), a tiny helper
// that spawns with vfork. Node's child_process forks the whole orun
// process for every spawn, which costs more CPU than a no-op step itself;
// the helper's spawn costs a fraction of that. The supervision
// (process groups, timeouts, abort, combined output) is runProcess's: the
// helper only starts processes and reports their pid and end.
//
// Hand-off: a request may wait on a latch that another process opens when
// it exits 0. The helper then starts it the moment that process ends,
// without waiting for this process to hear of the end and answer (see
// Runner.handOff).
//
// Output goes to a file the helper creates for each process; this process
// reads it when the process ends (the helper reports its size and removes it
// when empty) and tails it while a process runs longer than LIVE_AFTER_MS.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readlinkSync, readSync, unlinkSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";
import {
  OutputBuffer,
  exitResult,
  spawnError,
  superviseGroup,
  type BaseOutcome,
  type GroupControl,
  type ProcessOutcome,
  type ProcessRequest,
} from "./run-process.js";
import { outputBacklogged } from "../../util/output-pressure.js";
import { consoleDrained } from "./console-wait.js";

/** Built by scripts/build-native.mjs; absent when no C compiler was found. */
const HELPER = fileURLToPath(new URL("../../../native/orun-spawn", import.meta.url));

/** A step still running after this long gets its output tailed live. */
const LIVE_AFTER_MS = 200;
const TAIL_INTERVAL_MS = 100;

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]));

/** Output read per call: a step that writes faster than we read cannot stall the event loop or exhaust memory. */
const READ_LIMIT = 4 * 1024 * 1024;

/**
 * A step's output file, created by the helper. Read while the step runs
 * (live tail) and once when it ends; the helper removes it when empty.
 */
class OutputFile {
  private fd: number | undefined;
  private position = 0;
  private readonly decoder = new StringDecoder("utf8");
  private buffer: Buffer | undefined;

  constructor(readonly path: string) {}

  /**
   * Passes new output to `sink` in chunks, up to `limit` bytes (and never
   * beyond the size the file had when the read began). Returns whether
   * output was left unread.
   */
  read(sink: (text: string, raw?: Buffer) => void, limit = READ_LIMIT): boolean {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, "r");
      } catch {
        return false; // not created yet, or already removed
      }
    }
    const end = Math.min(fstatSync(this.fd).size, this.position + limit);
    this.buffer ??= Buffer.allocUnsafe(64 * 1024);
    while (this.position < end) {
      const n = readSync(this.fd, this.buffer, 0, Math.min(this.buffer.length, end - this.position), this.position);
      if (n <= 0) break;
      this.position += n;
      // A copy: the read buffer is reused, and a byte sink may keep the chunk (a handed-over step's early output).
      const raw = Buffer.from(this.buffer.subarray(0, n));
      sink(this.decoder.write(raw), raw);
    }
    return fstatSync(this.fd).size > this.position;
  }

  /** Whether more than `limit` bytes of a file that ended at `bytes` are still unread. */
  moreThan(bytes: number, limit: number): boolean {
    return bytes - this.position > limit;
  }

  /** The rest of the output (`bytes`: its size when the process ended; 0 = the helper removed the file), then the file is gone. */
  finish(bytes: number, sink: (text: string, raw?: Buffer) => void): void {
    if (bytes > 0) {
      this.read(sink, Infinity);
      sink(this.decoder.end());
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

interface Pending {
  command: string;
  cwd: string;
  control: GroupControl;
  file: OutputFile;
  output: OutputBuffer;
  /** Whether anyone wants output while the process runs (then it is tailed after LIVE_AFTER_MS). */
  live: boolean;
  startedAt: number;
  /** Output bytes the helper reported at the end (0: it removed the empty file). */
  bytes: number;
  /** The run's cancel (stops waiting for the console). */
  signal?: AbortSignal;
  pid?: number;
  /** Not yet supervised: the helper holds it until a latch opens (supervision — timeout, abort — starts with the process). */
  held?: { request: ProcessRequest; resolve: (outcome: ProcessOutcome) => void; onStart?: () => void };
  /** Stops listening for a cancel of the held request. */
  dropAbort?: () => void;
}

export interface SpawnOptions {
  /** The request's env overlays the helper's base environment (see start); otherwise it is the whole environment. */
  inheritEnv: boolean;
  /** A latch (from newLatch) opened when this process exits 0. */
  opens?: number;
  /**
   * Start only when this latch opens; the outcome is `notStarted` when it is closed first. Timeout and abort
   * apply from the start.
   */
  waits?: number;
  /** Called when a waiting request's process starts. */
  onStart?: () => void;
}

/** False under ORUN_LOCAL_SPAWNER=direct: steps then spawn from the orun process itself. */
export function nativeSpawnerWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.ORUN_LOCAL_SPAWNER ?? "").trim().toLowerCase() !== "direct";
}

/** The helper's path when it was built, else undefined (callers then spawn directly). */
export function nativeSpawnerPath(): string | undefined {
  return existsSync(HELPER) ? HELPER : undefined;
}

export class NativeSpawner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private partialLine = "";
  private nextLatch = 1;
  private outgoing: Buffer[] = [];
  private dead = false;
  /** One timer tails the output of every long-running process (cheaper than a timer per process). */
  private tail: NodeJS.Timeout | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly outputDir: string,
  ) {
    child.stdout!.setEncoding("latin1");
    child.stdout!.on("data", (text: string) => this.onData(text));
    // Exit or a broken pipe: no new work. Processes still pending are dealt with once
    // its output has been read to the end (end replies may still be in the pipe).
    child.on("exit", () => (this.dead = true));
    child.stdin!.on("error", () => (this.dead = true));
    child.stdout!.on("close", () => this.onHelperGone());
    this.idle();
  }

  /**
   * Starts the helper, with output files in `outputDir` (which must exist)
   * and `baseEnv` as the environment inheritEnv requests overlay; undefined
   * when it is not built or cannot start.
   */
  static async start(outputDir: string = tmpdir(), baseEnv: NodeJS.ProcessEnv = process.env): Promise<NativeSpawner | undefined> {
    const helper = nativeSpawnerPath();
    if (!helper) return undefined;
    const child = spawn(helper, [], { stdio: ["pipe", "pipe", "inherit"], env: baseEnv });
    const started = await new Promise<boolean>((resolve) => {
      child.once("spawn", () => resolve(true));
      child.once("error", () => resolve(false));
    });
    if (!started) return undefined;
    child.unref();
    return new NativeSpawner(child, outputDir);
  }

  /** False once the helper has exited; callers then spawn directly. */
  get alive(): boolean {
    return !this.dead;
  }

  /** A new latch for SpawnOptions.opens/waits. */
  newLatch(): number {
    return this.nextLatch++;
  }

  /** Closes a latch that has not opened: requests waiting on it end `notStarted`. */
  closeLatch(latch: number): void {
    if (!this.dead) this.send(frame("L", [String(latch)]));
  }

  /** See HandOff.journalOnOpen (runner.ts). */
  journalOnOpen(latch: number, file: string, line: string): void {
    if (!this.dead) this.send(frame("J", [String(latch), file, line]));
  }

  /** closeLatch, written before this returns (what was queued goes first). */
  private closeLatchNow(latch: number): void {
    this.closeLatch(latch);
    this.flush();
  }

  /** Runs one process (see SpawnOptions). */
  run(request: ProcessRequest, options: SpawnOptions): Promise<ProcessOutcome> {
    return new Promise((resolve) => {
      const latches = [String(options.opens ?? 0), String(options.waits ?? 0)];
      const fields = [request.cwd, "", options.inheritEnv ? "1" : "0", ...latches, String(request.args.length + 1), request.command, ...request.args];
      const env = Object.entries(request.env).map(([key, value]) => `${key}=${value}`);
      fields.push(String(env.length), ...env);
      const bad = fields.find((field) => field.includes("\0"));
      if (bad !== undefined || this.dead) {
        const error = bad !== undefined ? `${request.command}: arguments and environment must not contain NUL bytes` : "spawner helper exited";
        // A request that was to wait is simply not started: the caller starts it its own way later.
        resolve(options.waits && bad === undefined ? notStartedOutcome() : { exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, error });
        return;
      }
      const id = this.nextId++;
      // The helper's pid too: two spawners of one process may share an output folder, each counting from 1.
      const file = new OutputFile(`${this.outputDir}/orun-out-${process.pid}-${this.child.pid}-${id}`);
      fields[1] = file.path;
      const output = new OutputBuffer(request.onOutput, request.onOutputBytes);
      const live = request.onOutput !== undefined || request.onOutputBytes !== undefined;
      const entry: Pending = { command: request.command, cwd: request.cwd, file, bytes: 0, output, live, startedAt: Date.now(), signal: request.signal, control: undefined! };
      // A process being stopped (timeout, cancel) must not open its latch even if it exits 0 on SIGTERM: the
      // latch is closed before the first signal, and the helper reads its input before it reaps.
      const { opens } = options;
      const supervised = opens
        ? {
            ...request,
            beforeTerminate: () => {
              request.beforeTerminate?.();
              this.closeLatchNow(opens);
            },
          }
        : request;
      entry.held = { request: supervised, resolve, onStart: options.onStart };
      if (!options.waits) this.superviseHeld(entry);
      else if (request.signal) {
        // Canceled while held: the helper drops the request (answering N), unless it has just started it.
        const signal = request.signal;
        const onAbort = (): void => {
          if (entry.held) this.send(frame("W", [String(id)]));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        entry.dropAbort = () => signal.removeEventListener("abort", onAbort);
        if (signal.aborted) queueMicrotask(onAbort);
      }
      if (this.pending.size === 0) this.busy();
      this.pending.set(id, entry);
      this.tail ??= setInterval(() => this.tailLive(), TAIL_INTERVAL_MS);
      this.send(frame(String(id), fields));
    });
  }

  /** Closes the helper's input and it exits; call when nothing is running (a process still running is then killed). */
  close(): void {
    this.flush();
    this.child.stdin!.end();
  }

  /**
   * Frames go out together at the end of the current turn: the jobs one batch of end replies lets start cost
   * the helper one read, and this process one write, instead of one each.
   */
  private send(buffer: Buffer): void {
    if (this.outgoing.push(buffer) === 1) process.nextTick(() => this.flush());
  }

  private flush(): void {
    if (this.outgoing.length === 0) return;
    const buffers = this.outgoing;
    this.outgoing = [];
    if (!this.dead) this.child.stdin!.write(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers));
  }

  private onData(text: string): void {
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop()!;
    for (const line of lines) this.onReply(line);
  }

  private onReply(line: string): void {
    const [kind, idText, a, b, bytes] = line.split(" ");
    const id = Number(idText);
    const entry = this.pending.get(id);
    if (!entry) return;
    if (kind === "S") {
      entry.pid = Number(a);
      const held = entry.held;
      if (held) {
        this.superviseHeld(entry);
        held.onStart?.();
      }
      entry.control.started(entry.pid);
      return;
    }
    if (kind === "N") {
      // Its latch closed (or it was withdrawn): nothing ran.
      entry.dropAbort?.();
      this.pending.delete(id);
      if (this.pending.size === 0) this.idle();
      entry.held?.resolve(notStartedOutcome());
      return;
    }
    // Its latch opened but the process could not start: an outcome like any request's.
    if (entry.held) this.superviseHeld(entry);
    if (kind === "X") {
      entry.bytes = Number(bytes);
      if (entry.live && entry.file.moreThan(entry.bytes, READ_LIMIT)) void this.settleAtConsolePace(id, entry, ended(Number(a), Number(b)));
      else this.settle(id, entry, ended(Number(a), Number(b)));
    } else {
      this.settle(id, entry, notStarted(entry, b === "0", line.split(" ").slice(4).join(" ") || `errno ${a}`));
    }
  }

  private superviseHeld(entry: Pending): void {
    const { request, resolve } = entry.held!;
    entry.held = undefined;
    entry.dropAbort?.();
    entry.startedAt = Date.now();
    entry.control = superviseGroup(request, entry.output, (outcome) => (entry.file.finish(entry.bytes, (text, raw) => entry.output.collect(text, raw)), outcome), resolve);
  }

  private settle(id: number, entry: Pending, outcome: BaseOutcome): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.idle();
    entry.control.finish(outcome);
  }

  /**
   * A process that ended with much unread output: the rest is read in READ_LIMIT pieces, each once the console
   * has taken the last (util/output-pressure.ts), so a slow reader of orun's stdout holds the backlog on disk,
   * not in memory. Its time limit no longer applies; a cancel stops the waiting.
   */
  private async settleAtConsolePace(id: number, entry: Pending, outcome: BaseOutcome): Promise<void> {
    this.pending.delete(id);
    if (this.pending.size === 0) this.idle();
    entry.control.exited();
    const sink = (text: string, raw?: Buffer): void => entry.output.collect(text, raw);
    while (entry.file.read(sink)) {
      await (outputBacklogged() ? consoleDrained(entry.signal) : new Promise<void>((resolve) => setImmediate(resolve)));
    }
    entry.control.finish(outcome);
  }

  private tailLive(): void {
    const due = Date.now() - LIVE_AFTER_MS;
    // While the console is behind, output waits in its files (read once the console has caught up).
    if (outputBacklogged()) return;
    for (const entry of this.pending.values()) {
      if (entry.live && !entry.held && entry.startedAt <= due) entry.file.read((text, raw) => entry.output.collect(text, raw));
    }
  }

  private onHelperGone(): void {
    this.dead = true;
    // We can no longer learn how started processes end: stop them rather than leave them
    // unsupervised. A start reply may still have been held back: then find the process by its output file.
    for (const [id, entry] of this.pending) {
      if (entry.held) {
        this.pending.delete(id);
        if (this.pending.size === 0) this.idle();
        entry.dropAbort?.();
        entry.held.resolve(notStartedOutcome());
        continue;
      }
      const pid = entry.pid ?? processWritingTo(entry.file.path);
      if (pid !== undefined) killGroupOrProcess(pid);
      entry.bytes = 1; // unknown: read whatever is there, and remove the file
      this.settle(id, entry, { exitCode: null, exitSignal: null, error: "spawner helper exited unexpectedly" });
    }
  }

  // Keep the orun process alive only while a process is running.
  private busy(): void {
    (this.child.stdout as { ref?: () => void } | null)?.ref?.();
  }

  private idle(): void {
    clearInterval(this.tail);
    this.tail = undefined;
    (this.child.stdout as { unref?: () => void } | null)?.unref?.();
    (this.child.stdin as { unref?: () => void } | null)?.unref?.();
  }
}

/** A held request that never started (its latch closed, it was withdrawn, or the helper is gone). */
function notStartedOutcome(): ProcessOutcome {
  return { exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, notStarted: true };
}

function ended(code: number, signal: number): BaseOutcome {
  return code >= 0 ? exitResult(code, null) : exitResult(null, SIGNAL_NAMES.get(signal) ?? null);
}

/** An error reply: `text` is the helper's strerror text. */
function notStarted(entry: Pending, lookingUpCommand: boolean, text: string): BaseOutcome {
  if (lookingUpCommand) {
    const missing = /no such file/i.test(text);
    return spawnError(entry.command, missing ? "ENOENT" : undefined, `${entry.command}: ${text.toLowerCase()}`);
  }
  const why = existsSync(entry.cwd) ? text.toLowerCase() : `working directory ${entry.cwd} does not exist`;
  return { exitCode: null, exitSignal: null, error: `cannot start ${entry.command}: ${why}` };
}

/** The process whose stdout is `file` (Linux /proc), if any. */
function processWritingTo(file: string): number | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const target = readlinkSync(`/proc/${name}/fd/1`);
      if (target === file || target === `${file} (deleted)`) return Number(name);
    } catch {
      // gone, or not ours to inspect
    }
  }
  return undefined;
}

function killGroupOrProcess(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
      return;
    } catch {
      // not a group leader (or gone): try the process itself
    }
  }
}

/** One request: a 4-byte little-endian length, then NUL-terminated strings (see orun-spawn.c). */
function frame(id: string, fields: string[]): Buffer {
  const payload = `${id}\0${fields.join("\0")}\0`;
  const length = Buffer.byteLength(payload);
  const buffer = Buffer.allocUnsafe(4 + length);
  buffer.writeUInt32LE(length, 0);
  buffer.write(payload, 4);
  return buffer;
}
