// Reading a file orun keeps for itself (a record's files, its lock, a stored plan, the legacy state file) from a
// folder whose contents may not be trusted: a record restored from a CI artifact, a cloned repository. Only a
// regular file is read, opened with O_NONBLOCK (a FIFO in its place blocked `orun status`, `gc` and `run` for
// ever) and read up to a bound (a link to /dev/zero or a huge file must not fill memory). Without `followLinks`
// a symbolic link is refused too: it would read — and quote in errors — a file elsewhere.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
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

const tooLarge = (options: OwnFileOptions): OwnFileRead => ({ kind: "refused", reason: `larger than ${options.maxBytes} bytes` });

/** The file's text when it is a regular file within the bound; why not, otherwise. Never throws. */
export async function readOwnFile(file: string, options: OwnFileOptions): Promise<OwnFileRead> {
  let handle;
  try {
    handle = await open(file, flags(options));
  } catch (err) {
    return openFailure(err);
  }
  try {
    const refused = notRegular(await handle.stat(), options);
    if (refused) return refused;
    // Read to the end, not to the size stat gave: the file may grow meanwhile; the bound holds either way.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(CHUNK), 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) return tooLarge(options);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return { kind: "text", text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (err) {
    return { kind: "refused", reason: fileSystemReason(err), code: (err as NodeJS.ErrnoException).code };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** readOwnFile for synchronous callers (an exit handler releasing the lock). */
export function readOwnFileSync(file: string, options: OwnFileOptions): OwnFileRead {
  let fd: number;
  try {
    fd = openSync(file, flags(options));
  } catch (err) {
    return openFailure(err);
  }
  try {
    const refused = notRegular(fstatSync(fd), options);
    if (refused) return refused;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(CHUNK);
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      if (total > options.maxBytes) return tooLarge(options);
      chunks.push(buffer.subarray(0, n));
    }
    return { kind: "text", text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (err) {
    return { kind: "refused", reason: fileSystemReason(err), code: (err as NodeJS.ErrnoException).code };
  } finally {
    closeSync(fd);
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
