// Starts processes through orun-spawn (native/orun-spawn.c), a tiny helper
// that spawns with posix_spawn. Node's child_process forks the whole orun
// process for every spawn, which costs more CPU than a no-op step itself;
// the helper's vfork-style spawn costs a fraction of that. The supervision
// (process groups, timeouts, abort, combined output) is runProcess's: the
// helper only starts processes and reports their pid and end.
//
// Output goes to a file the helper creates for each process; this process
// reads it when the process ends (the helper reports its size and removes it
// when empty) and tails it while a process runs longer than LIVE_AFTER_MS.
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

/**
 * A step's output file, created by the helper. Read while the step runs
 * (live tail) and once when it ends; the helper removes it when empty.
 */
class OutputFile {
  private fd: number | undefined;
  private position = 0;
  private readonly decoder = new StringDecoder("utf8");

  constructor(readonly path: string) {}

  /** New output since the last read ("" when none, or when the file is not there yet). */
  read(): string {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, "r");
      } catch {
        return "";
      }
    }
    if (fstatSync(this.fd).size <= this.position) return "";
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let text = "";
    for (;;) {
      const n = readSync(this.fd, buffer, 0, buffer.length, this.position);
      if (n <= 0) break;
      this.position += n;
      text += this.decoder.write(buffer.subarray(0, n));
    }
    return text;
  }

  /** The rest of the output, then the file is gone; `bytes` is its size when the step ended. */
  finish(bytes: number): string {
    let text = "";
    if (bytes > 0) {
      text = this.read() + this.decoder.end();
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
    if (this.fd !== undefined) closeSync(this.fd);
    return text;
  }
}

interface Pending {
  command: string;
  cwd: string;
  control: GroupControl;
  output: OutputFile;
  /** Output bytes the helper reported at the end (0: it removed the empty file). */
  bytes: number;
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

  /** Starts the helper, with output files in `outputDir` (which must exist); undefined when it is not built or cannot start. */
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
      const id = this.nextId++;
      const file = new OutputFile(`${this.outputDir}/orun-out-${process.pid}-${id}`);
      fields[1] = file.path;
      const output = new OutputBuffer(request.onOutput);
      let tail: NodeJS.Timeout | undefined;
      const live = request.onOutput
        ? setTimeout(() => {
            tail = setInterval(() => output.collect(file.read()), TAIL_INTERVAL_MS);
          }, LIVE_AFTER_MS)
        : undefined;
      const entry: Pending = { command: request.command, cwd: request.cwd, output: file, bytes: 0, control: undefined! };
      entry.control = superviseGroup(
        request,
        output,
        (outcome) => {
          clearTimeout(live);
          clearInterval(tail);
          output.collect(file.finish(entry.bytes));
          return outcome;
        },
        resolve,
      );
      if (this.pending.size === 0) this.busy();
      this.pending.set(id, entry);
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
    const [kind, idText, a, b, bytes] = line.split(" ");
    const id = Number(idText);
    const entry = this.pending.get(id);
    if (!entry) return;
    if (kind === "S") {
      entry.pid = Number(a);
      entry.control.started(entry.pid);
      return;
    }
    if (kind === "X") entry.bytes = Number(bytes);
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
      entry.bytes = 1; // unknown: read whatever is there, and remove the file
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
