// One error type for everything a user can get wrong. The CLI prints
// `✕ <message>` on stderr and exits non-zero; `location` is folded into the
// message so the file, line and field are always named.

export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted/JSON-pointer-ish path of the offending field, e.g. `spec.parameters.replicas`. */
  field?: string;
}

export class OrunError extends Error {
  readonly location?: SourceLocation;
  readonly exitCode: number;
  readonly hint?: string;

  constructor(message: string, options: { location?: SourceLocation; hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(formatMessage(message, options.location, options.hint), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OrunError";
    this.location = options.location;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function formatLocation(location: SourceLocation): string {
  let where = location.file ?? "";
  if (location.line !== undefined) where += `:${location.line}`;
  if (location.line !== undefined && location.column !== undefined) where += `:${location.column}`;
  // `file:line: field: message`, the form every located input error takes; without a line, `file (field)`.
  if (location.field) where += !where ? location.field : location.line !== undefined ? `: ${location.field}` : ` (${location.field})`;
  return where;
}

function formatMessage(message: string, location?: SourceLocation, hint?: string): string {
  const where = location ? formatLocation(location) : "";
  return `${where ? `${where}: ` : ""}${message}${hint ? ` (${hint})` : ""}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** For a permission error under `.orun/`: the usual cause, a folder another user (sudo, a container) made. */
export function ownershipHint(err: unknown): { hint?: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM" ? { hint: "make .orun/ writable for you: was it made by another user, such as sudo or a container?" } : {};
}

/** A file-system failure as a user reads it: what went wrong, without Node's temp-file paths. */
export function fileSystemReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EISDIR: "it is a directory",
    ENOTDIR: "a part of the path is not a directory",
    EEXIST: "a part of the path is a file, not a directory",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
  };
  return (code && reasons[code]) ?? errorMessage(err);
}
