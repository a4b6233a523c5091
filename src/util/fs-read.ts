// Reading a file orun keeps for itself (a record's files, its lock, a stored plan, the legacy state file) from a
// folder whose contents may not be trusted: a record restored from a CI artifact, a cloned repository. Only a
// regular file is read, opened with O_NONBLOCK (a FIFO in its place blocked `orun status`, `gc` and `run` for
// ever) and read up to a bound (a link to /dev/zero or a huge file must not fill memory). Without `followLinks`
// a symbolic link is refused too: it would read — and quote in errors — a file elsewhere.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { fileSystemReason } from "./errors.js";

export type OwnFileRead =
  | { kind: "text"; text: string }
  | { kind: "missing" }
  /** `reason` completes "<file> is …" / "cannot read …: it is …": "a symbolic link", "a directory", … */
  | { kind: "refused"; reason: string; code?: string };

export interface OwnFileOptions {
  /** Reading stops (refused) beyond this many bytes. */
  maxBytes: number;
  /** A symbolic link is followed (a user's own link among the stored plans); else refused. */
  followLinks?: boolean;
}

const CHUNK = 64 * 1024;

/** About the longest string Node can hold: a bound for files that have no smaller natural one (records, plans). */
export const MAX_TEXT_FILE_BYTES = 512 * 1024 * 1024;

function flags(options: OwnFileOptions): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (options.followLinks ? 0 : constants.O_NOFOLLOW);
}

function openFailure(err: unknown): OwnFileRead {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { kind: "missing" };
  // O_NOFOLLOW on a link gives ELOOP.
  if (code === "ELOOP") return { kind: "refused", reason: "a symbolic link", code };
  return { kind: "refused", reason: fileSystemReason(err), ...(code ? { code } : {}) };
}

function notRegular(stat: { isFile(): boolean; isDirectory(): boolean; size: number }, options: OwnFileOptions): OwnFileRead | undefined {
  if (stat.isDirectory()) return { kind: "refused", reason: "a directory" };
  if (!stat.isFile()) return { kind: "refused", reason: "not a regular file (a FIFO, socket or device)" };
  if (stat.size > options.maxBytes) return { kind: "refused", reason: `larger than ${options.maxBytes} bytes` };
  return undefined;
}

/** What reading a file needs done, each caller with its own kind of I/O: open, stat or close it, or read a chunk into the buffer. */
type FileRequest = "open" | "stat" | "close" | Buffer;
/** The stat for "stat", the bytes read for a buffer, nothing for the rest. */
type FileAnswer = Stats | number | undefined;

/**
 * readOwnFile written once for the async and the sync caller: it yields what it needs done and is answered, or thrown
 * the error of doing it. Chunks are read until a read gives 0 bytes, not to the size stat gave: the file may grow
 * meanwhile; the bound holds either way.
 */
function* reading(options: OwnFileOptions): Generator<FileRequest, OwnFileRead, FileAnswer> {
  try {
    yield "open";
  } catch (err) {
    return openFailure(err);
  }
  try {
    const refused = notRegular((yield "stat") as Stats, options);
    if (refused) return refused;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK);
      const bytesRead = (yield chunk) as number;
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) return { kind: "refused", reason: `larger than ${options.maxBytes} bytes` };
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return { kind: "text", text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (err) {
    return { kind: "refused", reason: fileSystemReason(err), code: (err as NodeJS.ErrnoException).code };
  } finally {
    yield "close";
  }
}

/** The file's text when it is a regular file within the bound; why not, otherwise. Never throws. */
export async function readOwnFile(file: string, options: OwnFileOptions): Promise<OwnFileRead> {
  const read = reading(options);
  let handle: FileHandle | undefined;
  for (let step = read.next(); ; ) {
    if (step.done) return step.value;
    const request = step.value;
    let answer: FileAnswer;
    try {
      if (request === "open") handle = await open(file, flags(options));
      else if (request === "stat") answer = await handle!.stat();
      else if (request === "close") await handle!.close().catch(() => undefined);
      else answer = (await handle!.read(request, 0, CHUNK, null)).bytesRead;
    } catch (err) {
      step = read.throw(err);
      continue;
    }
    step = read.next(answer);
  }
}

/** readOwnFile for synchronous callers (an exit handler releasing the lock). */
export function readOwnFileSync(file: string, options: OwnFileOptions): OwnFileRead {
  const read = reading(options);
  let fd = -1;
  for (let step = read.next(); ; ) {
    if (step.done) return step.value;
    const request = step.value;
    let answer: FileAnswer;
    try {
      if (request === "open") fd = openSync(file, flags(options));
      else if (request === "stat") answer = fstatSync(fd);
      else if (request === "close") closeSync(fd);
      else answer = readSync(fd, request, 0, CHUNK, null);
    } catch (err) {
      step = read.throw(err);
      continue;
    }
    step = read.next(answer);
  }
}

/** The text, or undefined for a missing or refused file (callers that treat both as "no such file"). */
export async function readOwnFileText(file: string, options: OwnFileOptions): Promise<string | undefined> {
  const read = await readOwnFile(file, options);
  return read.kind === "text" ? read.text : undefined;
}

/**
 * JSON.parse's error without its excerpt of the text (`Unexpected token 'r', "root:$6$SE"... is not valid JSON`):
 * a file that is not what it should be may be someone else's, and its first bytes must not reach a terminal or
 * a CI log. What remains names the problem, and the position when the parser gives one.
 */
export function jsonErrorWithoutExcerpt(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
  return message.replace(/,? ".*"(?:\.\.\.)? is not valid JSON$/, "").replace(/^Unexpected token '.*?'/, "Unexpected token");
}
