// What happens when the reader of our stdout/stderr goes away (`orun logs |
// head`, a closed terminal): that is the reader's choice, not a crash, so
// most commands stop quietly. A run keeps going with its output dropped —
// stopping a deployment half-way because a pipe closed would be worse — and
// its outcome stays in the execution record (`orun status`, `orun logs`).

/** EPIPE: the pipe's reader exited; EIO: the terminal is gone; the rest: writes after that. */
const CLOSED = new Set(["EPIPE", "EIO", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

let keepRunning = false;

/** From now on a closed stdout/stderr no longer ends the process (`orun run`). */
export function keepRunningWhenOutputCloses(): void {
  keepRunning = true;
}

export function handleClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (!CLOSED.has(err.code ?? "")) throw err;
      outputClosed();
    });
  }
}

/** The reader of our output is gone: most commands stop quietly here (a run goes on). */
export function outputClosed(): void {
  if (!keepRunning) process.exit(process.exitCode ?? 0);
}
