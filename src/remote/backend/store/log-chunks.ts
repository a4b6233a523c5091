// Job logs are stored as chunks (table log_chunks, migration 6) keyed by the
// byte offset each starts at. Where an append's bytes go is decided here, once
// for both stores; each store's read cuts the first chunk at the offset asked.

/**
 * A small last chunk is extended in place instead of gaining a sibling: an
 * append then rewrites at most this many bytes (never the whole log), and a
 * job writing a line at a time does not turn into one row per line.
 */
export const CHUNK_EXTEND_LIMIT = 16 * 1024;
/** No chunk grows past this: a read from any offset cuts at most this much from its first chunk. */
export const CHUNK_MAX = 64 * 1024;

/** The last chunk of a job's log: where it starts (its length is the log's size minus that). */
export interface TailChunk {
  start: number;
}

/** One row write of an append: add `content` to the chunk at `start`, or insert a chunk there. */
export interface ChunkWrite {
  op: "extend" | "insert";
  start: number;
  content: Buffer;
}

/**
 * The chunk writes that append `content` to a log of `size` bytes whose last chunk is `tail`: into that
 * chunk while it stays small (an empty last chunk always takes the first piece, so no second chunk ever
 * starts at its offset), the rest as new chunks of at most CHUNK_MAX bytes. An empty append writes
 * nothing to a log that has a chunk, and stores an empty chunk in one that has none (the log then
 * exists and reads as empty, as in v2). A replace is the append to a log without chunks.
 */
export function planAppend(tail: TailChunk | undefined, size: number, content: Buffer): ChunkWrite[] {
  if (!tail && content.length === 0) return [{ op: "insert", start: size, content }];
  const writes: ChunkWrite[] = [];
  let at = size;
  let rest = content;
  const tailLength = tail ? size - tail.start : 0;
  if (tail && rest.length > 0 && (tailLength === 0 || tailLength + rest.length <= CHUNK_EXTEND_LIMIT)) {
    const piece = rest.subarray(0, CHUNK_MAX - tailLength);
    writes.push({ op: "extend", start: tail.start, content: piece });
    at += piece.length;
    rest = rest.subarray(piece.length);
  }
  for (let i = 0; i < rest.length; i += CHUNK_MAX) writes.push({ op: "insert", start: at + i, content: rest.subarray(i, i + CHUNK_MAX) });
  return writes;
}

/** A ranged read's answer: the bytes from the offset asked for, the log's whole size and the attempt it belongs to. */
export interface LogRange {
  content: Buffer;
  /** The log's size in bytes (jobs.log_bytes, read in the same snapshot as the content). */
  size: number;
  /** The job's attempts count: it changes when a takeover restarts the log. */
  attempt: number;
}
