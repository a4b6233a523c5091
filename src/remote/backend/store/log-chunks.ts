// Job logs are stored as chunks (table log_chunks, migration 6) keyed by the
// byte offset each starts at. These rules are shared by both stores: where an
// append goes, and how a read from an offset is cut from the chunks it touches.

/**
 * A small last chunk is extended in place instead of gaining a sibling: an
 * append then rewrites at most this many bytes (never the whole log), and a
 * job writing a line at a time does not turn into one row per line.
 */
export const CHUNK_EXTEND_LIMIT = 16 * 1024;

/** The last chunk of a job's log: where it starts (its length is the log's size minus that). */
export interface TailChunk {
  start: number;
}

/**
 * Where `length` bytes appended to a log of `size` bytes go: into the last
 * chunk while it stays small (an empty last chunk always takes them, so no
 * second chunk ever starts at its offset), otherwise into a new chunk at
 * `size`. Nothing to write for an empty append to a log that has a chunk; an
 * empty append to a log that has none stores an empty chunk (the log then
 * exists and reads as empty, as in v2).
 */
export function appendTarget(tail: TailChunk | undefined, size: number, length: number): { extend: number } | { insert: number } | undefined {
  if (!tail) return { insert: size };
  if (length === 0) return undefined;
  const tailLength = size - tail.start;
  if (tailLength === 0 || tailLength + length <= CHUNK_EXTEND_LIMIT) return { extend: tail.start };
  return { insert: size };
}

/** A ranged read's answer: the bytes from the offset asked for, the log's whole size and the attempt it belongs to. */
export interface LogRange {
  content: Buffer;
  /** The log's size in bytes (jobs.log_bytes, read in the same snapshot as the content). */
  size: number;
  /** The job's attempts count: it changes when a takeover restarts the log. */
  attempt: number;
}
