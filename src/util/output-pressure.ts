// Backpressure from the console to whoever produces step output.
//
// A step's output reaches the console through orun's stdout. When that is a
// pipe whose reader is slower than the step (`orun run --verbose | tee log`, a
// CI log shipper), Node queues what the pipe cannot take in memory, without
// limit. The renderer registers its stream here; producers that can wait (the
// local runner reads a step's output from a file, so the backlog can stay on
// disk) ask before reading more. Waiting is asynchronous: timeouts, signals and
// remote heartbeats go on while the reader catches up.
import type { Writable } from "node:stream";

/** Queued bytes beyond which producers wait for the console. */
const HIGH_WATER = 8 * 1024 * 1024;

let shown: Writable | undefined;

/** The stream step output is shown on (undefined: nothing to wait for). */
export function setOutputStream(stream: Writable | undefined): void {
  shown = stream;
}

/** Whether the console holds more than it should: producers that can wait should. */
export function outputBacklogged(): boolean {
  return shown !== undefined && !shown.destroyed && shown.writableLength > HIGH_WATER;
}

/** Resolves once the console has taken its backlog (or is gone), or when `signal` aborts. */
export function outputDrained(signal?: AbortSignal): Promise<void> {
  const stream = shown;
  if (!stream || !outputBacklogged() || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done).off("close", done).off("error", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    stream.once("drain", done).once("close", done).once("error", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
