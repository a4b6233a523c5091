// Entry point of a spawner helper process (see spawner-pool.ts). It runs
// processes on behalf of the orun process and streams their output back
// over IPC. A small helper forks far faster than the orun process, whose
// fork cost grows with its memory.
import { tmpdir } from "node:os";
import { runProcess, type ProcessRequest } from "./run-process.js";
import type { WorkerMessage, WorkerRequest } from "./spawner-protocol.js";

const running = new Map<number, AbortController>();
// The helper's environment never changes: copy it once, not per step (every
// read of process.env goes through the C++ environment).
const baseEnv = { ...process.env } as Record<string, string>;
// Output goes through a temp file per step, not pipes: a spawn without pipe
// and stream objects costs the helper markedly less (see run-process.ts).
const outputDir = tmpdir();

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

process.on("message", (message: WorkerRequest) => {
  if (message.type === "abort") {
    running.get(message.id)?.abort();
    return;
  }
  const abort = new AbortController();
  running.set(message.id, abort);
  const request: ProcessRequest = {
    ...message.request,
    env: message.inheritEnv ? { ...baseEnv, ...message.request.env } : message.request.env,
    signal: abort.signal,
    outputDir,
    onOutput: (chunk) => send({ type: "output", id: message.id, chunk }),
  };
  runProcess(request).then(
    (outcome) => {
      running.delete(message.id);
      send({ type: "done", id: message.id, outcome });
    },
    (err: unknown) => {
      running.delete(message.id);
      send({ type: "done", id: message.id, outcome: { exitCode: null, exitSignal: null, output: "", timedOut: false, aborted: false, error: String(err) } });
    },
  );
});

// Ctrl-C in a terminal signals the whole foreground process group, helpers
// included. The orun process handles it (aborting running steps through us),
// so a helper must not die before it has killed its steps.
process.on("SIGINT", () => undefined);

// The orun process went away: stop taking work. Steps already started keep
// the semantics of a direct spawn (their process groups outlive the parent).
process.on("disconnect", () => process.exit(0));
