// ConsoleWriter (src/runtime/output/console-writer.ts): the run's lines go to the console through a few reused
// buffers. What reaches the stream must be exactly the lines, in order, and a buffer must never be written
// into while the stream still holds a view of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { ConsoleWriter } from "../../src/runtime/output/console-writer.js";

/** A stream that finishes each write only when told to (a pipe whose reader is slow), checking the bytes it was handed did not change meanwhile. */
class SlowStream extends Writable {
  readonly received: Buffer[] = [];
  readonly held: { chunk: Buffer; copy: Buffer; callback: () => void }[] = [];
  readonly backings = new Set<ArrayBufferLike>();
  changed = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.backings.add(chunk.buffer);
    this.held.push({ chunk, copy: Buffer.from(chunk), callback });
  }

  /** Finishes every write, the ones the stream still queues included (they reach _write as earlier ones finish). */
  async drain(): Promise<void> {
    while (this.held.length > 0 || this.writableLength > 0) {
      this.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Finishes every write so far (after checking each is as it was handed over). */
  release(): void {
    for (const { chunk, copy, callback } of this.held.splice(0)) {
      if (!chunk.equals(copy)) this.changed++;
      this.received.push(copy);
      callback();
    }
  }
}

/** Text mixing 1- to 4-byte UTF-8 characters (surrogate pairs included), deterministic. */
function mixedText(units: number, seed: number): string {
  const alphabet = ["a", "Z", "0", " ", "é", "ß", "中", "€", "😀", "𝄞"];
  let x = seed;
  let out = "";
  while (out.length < units) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

test("the console writer passes lines through exactly, in order: multi-byte characters, surrogate pairs, lines longer than a buffer", async () => {
  const stream = new SlowStream({ highWaterMark: 1 << 30 });
  const writer = new ConsoleWriter(stream);
  const lines = ["", "plain", mixedText(1_000, 1), mixedText(100_000, 2), "x".repeat(700_000), mixedText(300_000, 3), "end ✓"];
  for (let i = 0; i < 40; i++) lines.push(mixedText(5_000 + i * 997, 10 + i));
  for (const line of lines) {
    writer.writeLine(line);
    // Held writes are finished now and then, as a pipe's reader would take them.
    if (line.length % 3 === 0) stream.release();
  }
  await stream.drain();
  assert.equal(stream.changed, 0, "no bytes changed while the stream held them");
  assert.equal(Buffer.concat(stream.received).toString("utf8"), lines.map((line) => `${line}\n`).join(""));
});

test("the console writer reuses its buffers once the stream is done with them", async () => {
  const stream = new SlowStream();
  const writer = new ConsoleWriter(stream);
  const line = mixedText(10_000, 7);
  let written = 0;
  for (let i = 0; i < 2_000; i++) {
    writer.writeLine(line);
    written += Buffer.byteLength(line) + 1;
    stream.release();
    // Write callbacks run on a later tick.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await stream.drain();
  assert.ok(written > 20 * 1024 * 1024, "enough output to need many buffers without reuse");
  assert.ok(stream.backings.size <= 4, `${stream.backings.size} buffers for ${Math.round(written / 1048576)} MB`);
  assert.equal(stream.changed, 0);
});
