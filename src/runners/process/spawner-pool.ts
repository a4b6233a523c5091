// Runs processes through a few small helper processes instead of spawning
// them from the orun process itself. Node forks the whole parent to spawn a
// child, so spawn cost grows with the parent's memory; helpers stay small,
// and several of them fork in parallel on multi-core machines. Semantics are
// those of runProcess (process groups, timeouts, abort, combined output).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProcessOutcome, ProcessRequest } from "./run-process.js";
import type { WorkerMessage, WorkerRequest } from "./spawner-protocol.js";

const WORKER = fileURLToPath(new URL("./spawner-worker.js", import.meta.url));

interface Pending {
  resolve(outcome: ProcessOutcome): void;
  onOutput?: (chunk: string) => void;
  helper: Helper;
}

interface Helper {
  child: ChildProcess;
  outstanding: number;
  dead: boolean;
}

export class SpawnerPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor(private readonly helpers: Helper[]) {
    for (const helper of helpers) {
      helper.child.on("message", (message: WorkerMessage) => this.onMessage(message));
      helper.child.on("exit", () => this.onHelperExit(helper));
      this.idle(helper);
    }
  }

  /** Starts `size` helpers and waits until each answers; throws if they cannot start. */
  static async start(size: number): Promise<SpawnerPool> {
    const helpers = await Promise.all(
      Array.from({ length: size }, async () => {
        const child = fork(WORKER, [], {
          // A small young generation keeps the helper's memory (and so its fork cost) low;
          // without the JIT (the helper runs little JavaScript) there is less to fork.
          execArgv: ["--max-semi-space-size=1", "--max-old-space-size=64", "--jitless", "--no-expose-wasm"],
          serialization: "json",
          stdio: ["ignore", "ignore", "inherit", "ipc"],
        });
        await new Promise<void>((resolve, reject) => {
          child.once("spawn", resolve);
          child.once("error", reject);
        });
        child.unref();
        return { child, outstanding: 0, dead: false } satisfies Helper;
      }),
    );
    return new SpawnerPool(helpers);
  }

  /** False once every helper has exited; callers then spawn directly. */
  get alive(): boolean {
    return this.helpers.some((helper) => !helper.dead);
  }

  run(request: ProcessRequest, options: { inheritEnv: boolean }): Promise<ProcessOutcome> {
    const helper = this.helpers.filter((h) => !h.dead).sort((a, b) => a.outstanding - b.outstanding)[0];
    if (!helper) return Promise.resolve(failed("spawner helpers exited"));
    const id = this.nextId++;
    const { signal, onOutput, ...serializable } = request;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onOutput, helper });
      if (helper.outstanding++ === 0) this.busy(helper);
      this.send(helper, { type: "run", id, request: serializable, inheritEnv: options.inheritEnv });
      if (signal) {
        const abort = (): void => this.send(helper, { type: "abort", id });
        if (signal.aborted) abort();
        else signal.addEventListener("abort", abort, { once: true });
      }
    });
  }

  close(): void {
    for (const helper of this.helpers) if (helper.child.connected) helper.child.disconnect();
  }

  private send(helper: Helper, message: WorkerRequest): void {
    if (helper.child.connected) helper.child.send(message);
  }

  private onMessage(message: WorkerMessage): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === "output") {
      entry.onOutput?.(message.chunk);
      return;
    }
    this.pending.delete(message.id);
    if (--entry.helper.outstanding === 0) this.idle(entry.helper);
    entry.resolve(message.outcome);
  }

  private onHelperExit(helper: Helper): void {
    helper.dead = true;
    for (const [id, entry] of this.pending) {
      if (entry.helper !== helper) continue;
      this.pending.delete(id);
      entry.resolve(failed("spawner helper exited unexpectedly"));
    }
  }

  // Keep the orun process alive only while a helper has work.
  private busy(helper: Helper): void {
    (helper.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  private idle(helper: Helper): void {
    (helper.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}

function failed(error: string): ProcessOutcome {
  return { exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, error };
}
