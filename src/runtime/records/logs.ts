// Raw step output streamed into logs/<job>/<step>.log as it arrives, so
// `orun logs --follow` can tail a running step. Files are created lazily: a
// silent step leaves no file (and costs no I/O).
import { constants, createWriteStream, mkdirSync, openSync, type WriteStream } from "node:fs";
import path from "node:path";

export class StepLog {
  private stream: WriteStream | undefined;
  private bytes = 0;
  private unwritable = false;

  /** `file` is resolved only when the step first writes output (most steps in big runs are silent). */
  constructor(private readonly file: string | (() => string)) {}

  get hasOutput(): boolean {
    return this.bytes > 0;
  }

  write(chunk: string): void {
    if (chunk === "") return;
    if (!this.stream) {
      if (this.unwritable) return;
      const file = typeof this.file === "string" ? this.file : this.file();
      let fd: number;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        // Never through a symbolic link left in the record: the step's output would overwrite the file it names.
        fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
      } catch {
        // The log cannot be kept (a full disk, a link in its place); the step and its result are unaffected.
        this.unwritable = true;
        return;
      }
      this.stream = createWriteStream("", { fd });
      this.stream.on("error", () => undefined); // a full disk must not crash the run; the step result still counts
    }
    this.bytes += chunk.length;
    this.stream.write(chunk);
  }

  /** Marks the start of another attempt in the same file. */
  retryMarker(attempt: number, attempts: number): void {
    if (this.bytes > 0) this.write(`\n↻ retry ${attempt}/${attempts}\n`);
  }

  close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    this.stream = undefined;
    return new Promise((resolve) => stream.end(resolve));
  }
}
