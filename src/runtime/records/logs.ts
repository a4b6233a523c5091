// Raw step output streamed into logs/<job>/<step>.log as it arrives, so
// `orun logs --follow` can tail a running step. Files are created lazily: a
// silent step leaves no file (and costs no I/O).
//
// Writes are synchronous. Output arrives faster than an asynchronous stream
// drains (the local runner reads a finished step's output file in one loop),
// and a stream has no way to push back on that loop: a step that printed
// 600 MB held 600 MB in the stream's queue. A write into the page cache costs
// microseconds, so memory stays bounded by one chunk.
import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";

export class StepLog {
  private fd: number | undefined;
  private bytes = 0;
  private unwritable = false;

  /** `file` is resolved only when the step first writes output (most steps in big runs are silent). */
  constructor(private readonly file: string | (() => string)) {}

  get hasOutput(): boolean {
    return this.bytes > 0;
  }

  /** Text is written as UTF-8; bytes as they are (a step's output exactly as it wrote it). */
  write(chunk: string | Buffer): void {
    if (chunk.length === 0 || this.unwritable) return;
    if (this.fd === undefined) {
      const file = typeof this.file === "string" ? this.file : this.file();
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        // Never through a symbolic link left in the record: the step's output would overwrite the file it names.
        this.fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
      } catch {
        // The log cannot be kept (a full disk, a link in its place); the step and its result are unaffected.
        this.unwritable = true;
        return;
      }
    }
    this.bytes += chunk.length;
    const data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    try {
      for (let done = 0; done < data.length; ) done += writeSync(this.fd, data, done, data.length - done);
    } catch {
      // A full disk must not fail the run: the step result still counts, the rest of its log is lost.
      this.unwritable = true;
      this.closeFd();
    }
  }

  /** Marks the start of another attempt in the same file. */
  retryMarker(attempt: number, attempts: number): void {
    if (this.bytes > 0) this.write(`\n↻ retry ${attempt}/${attempts}\n`);
  }

  close(): Promise<void> {
    this.closeFd();
    return Promise.resolve();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // nothing was lost that a failed close could save
    }
  }
}
