// The owner pipe of a job container (see CONTAINER_OWNER_PIPE): a FIFO the
// orun process holds open for as long as the container is its own. Node has
// no mkfifo, so the host's `mkfifo` makes it; where that fails, the container
// lives until it is removed (clean-up, or the next run's orphan sweep).
import { execFile } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { OWNER_HELLO } from "./container.js";

/**
 * Makes the FIFO, opens it read-write — that never blocks on Linux, and it
 * makes this process a writer, so the container's read sees end-of-file only
 * once this process has closed it or ended — and writes the hello line the
 * container waits for. Node opens files close-on-exec, so no child process
 * keeps the container alive. Returns the descriptor.
 */
export async function openOwnerPipe(file: string): Promise<number | undefined> {
  const made = await new Promise<boolean>((resolve) => {
    // 0644: whichever user the container runs as reads it; only the owner writes.
    execFile("mkfifo", ["-m", "0644", file], (error) => resolve(error === null));
  });
  if (!made) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDWR);
    // Waits in the pipe for the container; gone with the pipe if this process dies before it reads it.
    writeSync(fd, `${OWNER_HELLO}\n`);
    return fd;
  } catch {
    closeOwnerPipe(fd);
    return undefined;
  }
}

/** Lets the container go: its main process reads end-of-file and exits. */
export function closeOwnerPipe(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
