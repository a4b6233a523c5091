// The JSON error object orun prints for a failure under --json (schemas/output/error.schema.json), and where a
// JSON list reports one item that failed (status --all --json's unreadable record): one shape for both.
import { OrunError } from "./errors.js";

export interface JsonError {
  error: {
    /** The whole message, as stderr shows it after `✕ ` (location and hint included). */
    message: string;
    hint?: string;
    file?: string;
    line?: number;
    column?: number;
    field?: string;
  };
}

/** The JSON error document for `err`, whose text is `message` (commander's usage errors have no OrunError). */
export function jsonErrorOf(err: unknown, message: string): JsonError {
  const location = err instanceof OrunError ? err.location : undefined;
  return {
    error: {
      message,
      ...(err instanceof OrunError && err.hint ? { hint: err.hint } : {}),
      ...(location?.file !== undefined ? { file: location.file } : {}),
      ...(location?.line !== undefined ? { line: location.line } : {}),
      ...(location?.column !== undefined ? { column: location.column } : {}),
      ...(location?.field !== undefined ? { field: location.field } : {}),
    },
  };
}
