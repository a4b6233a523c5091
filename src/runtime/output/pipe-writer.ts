// Writes to a pipe or socket that wait while it is full, as `make` or `cat` do.
//
// Node queues what it cannot write to a full pipe in memory, without limit:
// `orun logs | less` held a 200 MB log in memory behind a reader that had
// stopped. Writing straight to the descriptor, and pausing while the pipe is
// full, keeps memory bounded and lets the reader set the pace. Only for
// commands that do nothing else meanwhile (`orun logs`): the wait blocks the
// event loop, so `orun run` uses util/output-pressure.ts instead.
import { fstatSync, writeSync } from "node:fs";

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * A writer (text as UTF-8, bytes as they are) for `fd` when it is a pipe or socket; undefined otherwise (files and terminals already block).
 * When the reader goes away (EPIPE, EIO) further text is dropped and `onReaderGone` is called once.
 */
export function pipeWriter(fd: number, onReaderGone?: () => void): ((chunk: string | Buffer) => void) | undefined {
  try {
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isSocket()) return undefined;
  } catch {
    return undefined;
  }
  let readerGone = false;
  return (chunk) => {
    if (readerGone) return;
    const data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (let done = 0; done < data.length; ) {
      try {
        done += writeSync(fd, data, done, data.length - done);
      } catch (err) {
        // Node made the descriptor non-blocking: wait a millisecond for the reader.
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") Atomics.wait(nap, 0, 0, 1);
        else {
          // EPIPE, EIO: the reader is gone (see cli/closed-output.ts: a run goes on with its output dropped).
          readerGone = true;
          onReaderGone?.();
          return;
        }
      }
    }
  };
}
