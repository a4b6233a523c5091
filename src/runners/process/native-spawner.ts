// Starts processes through orun-spawn (native/orun-spawn.c), a tiny helper
// that spawns with posix_spawn. Node's child_process forks the whole orun
// process for every spawn, which costs more CPU than a no-op step itself;
// the helper's vfork-style spawn costs a fraction of that. The supervision
// (process groups, timeouts, abort, combined output) is runProcess's: the
// helper only starts processes and reports their pid and end.
//
// Output goes to a temp file the child appends to; this process reads it
// when the step ends, and tails it while a step runs longer than
// LIVE_AFTER_MS. The file is unlinked once the child has it open.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";
import { getSystemErrorName } from "node:util";
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

/** Built by scripts/build-native.mjs; absent when no C compiler was found. */
const HELPER = fileURLToPath(new URL("../../../native/orun-spawn", import.meta.url));

/** A step still running after this long gets its output tailed live. */
const LIVE_AFTER_MS = 200;
const TAIL_INTERVAL_MS = 100;

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]));

let fileSeq = 0;

/** Output captured in a file: the child appends through its own descriptor, we pread from ours. */
class FileCapture {
  readonly path: string;
  private readonly fd: number;
  private linked = true;
  private position = 0;
  private readonly decoder = new StringDecoder("utf8");
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(dir: string) {
    this.path = `${dir}/orun-out-${process.pid}-${++fileSeq}`;
    this.fd = openSync(this.path, "w+", 0o600);
  }

  /** The child has the file open (or never will): its name is no longer needed. */
  unlink(): void {
    if (!this.linked) return;
    this.linked = false;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
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
    this.unlink();
    const text = this.read() + this.decoder.end();
    closeSync(this.fd);
    return text;
  }
}

interface Pending {
  command: string;
  cwd: string;
  control: GroupControl;
  capture: FileCapture;
  pid?: number;
}

/** The helper's path when it was built, else undefined (callers then spawn directly). */
export function nativeSpawnerPath(): string | undefined {
  return existsSync(HELPER) ? HELPER : undefined;
}

export class NativeSpawner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private partialLine = "";
  private dead = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly outputDir: string,
  ) {
    child.stdout!.setEncoding("latin1");
    child.stdout!.on("data", (text: string) => this.onData(text));
    // Its output ending means it is gone (its exit event may come later: the process handle is unref'd).
    child.stdout!.on("close", () => this.onHelperExit());
    child.on("exit", () => this.onHelperExit());
    child.stdin!.on("error", () => this.onHelperExit());
    this.idle();
  }

  /** Starts the helper; undefined when it is not built or cannot start. */
  static async start(outputDir: string = tmpdir()): Promise<NativeSpawner | undefined> {
    const helper = nativeSpawnerPath();
    if (!helper) return undefined;
    const child = spawn(helper, [], { stdio: ["pipe", "pipe", "inherit"] });
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

  /**
   * Runs one process. With inheritEnv the request's env overlays the
   * environment this process had when the helper started; otherwise it is
   * the whole environment.
   */
  run(request: ProcessRequest, options: { inheritEnv: boolean }): Promise<ProcessOutcome> {
    return new Promise((resolve) => {
      const fields = [request.cwd, "", options.inheritEnv ? "1" : "0", String(request.args.length + 1), request.command, ...request.args];
      const env = Object.entries(request.env).map(([key, value]) => `${key}=${value}`);
      fields.push(String(env.length), ...env);
      const bad = fields.find((field) => field.includes("\0"));
      if (bad !== undefined || this.dead) {
        const error = bad !== undefined ? `${request.command}: arguments and environment must not contain NUL bytes` : "spawner helper exited";
        resolve({ exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, error });
        return;
      }
      let capture: FileCapture;
      try {
        capture = new FileCapture(this.outputDir);
      } catch (err) {
        resolve({ exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, error: `cannot capture output: ${String(err)}` });
        return;
      }
      const id = this.nextId++;
      fields[1] = capture.path;
      const output = new OutputBuffer(request.onOutput);
      let tail: NodeJS.Timeout | undefined;
      const live = request.onOutput
        ? setTimeout(() => {
            tail = setInterval(() => output.collect(capture.read()), TAIL_INTERVAL_MS);
          }, LIVE_AFTER_MS)
        : undefined;
      const control = superviseGroup(
        request,
        output,
        (outcome) => {
          clearTimeout(live);
          clearInterval(tail);
          output.collect(capture.close());
          return outcome;
        },
        resolve,
      );
      if (this.pending.size === 0) this.busy();
      this.pending.set(id, { command: request.command, cwd: request.cwd, control, capture });
      this.child.stdin!.write(frame(String(id), fields));
    });
  }

  /** Closes the helper's input; it exits, leaving started processes to run out. */
  close(): void {
    this.child.stdin!.end();
  }

  private onData(text: string): void {
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop()!;
    for (const line of lines) this.onReply(line);
  }

  private onReply(line: string): void {
    const [kind, idText, a, b] = line.split(" ");
    const id = Number(idText);
    const entry = this.pending.get(id);
    if (!entry) return;
    if (kind === "S") {
      entry.pid = Number(a);
      entry.capture.unlink();
      entry.control.started(entry.pid);
      return;
    }
    this.settle(id, entry, kind === "X" ? ended(Number(a), Number(b)) : notStarted(entry, Number(a), b === "0"));
  }

  private settle(id: number, entry: Pending, outcome: BaseOutcome): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.idle();
    entry.control.finish(outcome);
  }

  private onHelperExit(): void {
    if (this.dead) return;
    this.dead = true;
    // We can no longer learn how started processes end: stop them rather than leave them unsupervised.
    for (const [id, entry] of this.pending) {
      if (entry.pid !== undefined) {
        try {
          process.kill(-entry.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      this.settle(id, entry, { exitCode: null, exitSignal: null, error: "spawner helper exited unexpectedly" });
    }
  }

  // Keep the orun process alive only while a process is running.
  private busy(): void {
    (this.child.stdout as { ref?: () => void } | null)?.ref?.();
  }

  private idle(): void {
    (this.child.stdout as { unref?: () => void } | null)?.unref?.();
    (this.child.stdin as { unref?: () => void } | null)?.unref?.();
  }
}

function ended(code: number, signal: number): BaseOutcome {
  return code >= 0 ? exitResult(code, null) : exitResult(null, SIGNAL_NAMES.get(signal) ?? null);
}

function notStarted(entry: Pending, errno: number, lookingUpCommand: boolean): BaseOutcome {
  let name: string;
  try {
    name = getSystemErrorName(-errno);
  } catch {
    name = `errno ${errno}`;
  }
  if (lookingUpCommand) return spawnError(entry.command, name, `${entry.command}: ${name}`);
  return { exitCode: null, exitSignal: null, error: `cannot start ${entry.command} in ${entry.cwd}: ${name}` };
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
