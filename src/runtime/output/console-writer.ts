// The run's lines on their way to orun's stdout, copied into a few reused buffers.
//
// Under --verbose a chatty step's output goes to the console as it arrives. Handed to the stream as strings,
// what a pipe could not take at once waited in the stream's queue (up to util/output-pressure.ts's backlog)
// long enough to be promoted to V8's old generation, where it piled up as garbage until a full collection:
// 200 MB of step output made orun's heap swing up to ~170 MB, a peak RSS 4× that of a run printing 1 KB.
// Copied into pooled buffers instead — filled front to back, each write handing the stream a view of what it
// just added, a buffer reused once the stream is done with all of it — the queue holds the same few buffers
// over and over, and the strings die young, where collecting them is cheap. Each write still reaches the
// stream at once, in order, as before.
import type { Writable } from "node:stream";

/** Bytes per buffer. */
const BUFFER_BYTES = 256 * 1024;
/** UTF-16 units that always fit an empty buffer (a unit takes at most 3 bytes in UTF-8). */
const MAX_UNITS = Math.floor((BUFFER_BYTES - 1) / 3);

export class ConsoleWriter {
  private readonly free: Buffer[] = [];
  /** Writes of each buffer the stream has not finished with. */
  private readonly inFlight = new Map<Buffer, number>();
  private current: Buffer | undefined;
  private used = 0;

  constructor(private readonly stream: Writable) {}

  /** `line` and a newline, in one write (`line + "\n"` would be one more copy of a long text). */
  writeLine(line: string): void {
    if (line.length === 0) return this.writePiece("", true);
    for (let at = 0; at < line.length; ) {
      let end = Math.min(line.length, at + MAX_UNITS);
      // Never between the two halves of a surrogate pair.
      if (end < line.length && isHighSurrogate(line.charCodeAt(end - 1))) end--;
      this.writePiece(at === 0 && end === line.length ? line : line.slice(at, end), end === line.length);
      at = end;
    }
  }

  /** A piece that fits an empty buffer (with its newline: MAX_UNITS leaves room for it). */
  private writePiece(piece: string, newline: boolean): void {
    const room = BUFFER_BYTES - this.used - 1;
    if (!this.current || (room < piece.length * 3 && Buffer.byteLength(piece, "utf8") > room)) this.nextBuffer();
    const buffer = this.current!;
    const start = this.used;
    this.used += buffer.write(piece, start, "utf8");
    if (newline) buffer[this.used++] = 0x0a;
    this.inFlight.set(buffer, (this.inFlight.get(buffer) ?? 0) + 1);
    // Done with (written, or failed: a closed pipe): once the buffer is full and all of it is done, it is reused.
    this.stream.write(buffer.subarray(start, this.used), () => this.done(buffer));
  }

  private nextBuffer(): void {
    const full = this.current;
    this.current = this.free.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES);
    this.used = 0;
    if (full && !this.inFlight.has(full)) this.free.push(full);
  }

  private done(buffer: Buffer): void {
    const left = this.inFlight.get(buffer)! - 1;
    if (left > 0) {
      this.inFlight.set(buffer, left);
      return;
    }
    this.inFlight.delete(buffer);
    if (buffer !== this.current) this.free.push(buffer);
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
