import { OrunError } from "../util/errors.js";
import { quoted } from "../util/printable.js";

export type TemplateErrorKind = "parse" | "missing-key" | "exec";

export interface TemplateErrorDetails {
  kind: TemplateErrorKind;
  /** Name given to the template (the planner uses e.g. `<type>:<step>:<field>`). */
  templateName: string;
  /** 1-based line and column in the template source. */
  line: number;
  column: number;
  /** The bare reason, without the `template: name:line:col:` prefix. */
  reason: string;
  /** For kind "missing-key": the dotted path of the absent key, e.g. `.parameters.replicas`. */
  keyPath?: string;
}

/**
 * A template that cannot be parsed or executed. The message reads like Go's:
 * `template: NAME:LINE:COL: REASON`, with `executing "NAME" at <EXPR>:` before
 * the reason for execution errors.
 */
export class TemplateError extends OrunError {
  readonly kind: TemplateErrorKind;
  readonly templateName: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly keyPath?: string;

  constructor(message: string, details: TemplateErrorDetails) {
    super(message);
    this.name = "TemplateError";
    this.kind = details.kind;
    this.templateName = details.templateName;
    this.line = details.line;
    this.column = details.column;
    this.reason = details.reason;
    this.keyPath = details.keyPath;
  }
}

/** Thrown inside the parser and executor; carries an offset, turned into a TemplateError at the API edge. */
export class TemplateFailure extends Error {
  constructor(
    readonly kind: TemplateErrorKind,
    readonly reason: string,
    readonly pos: number,
    /** Expression text for `executing "..." at <...>`; execution errors only. */
    readonly context?: string,
    /** Name of the (possibly `define`d) template being executed. */
    readonly executing?: string,
    readonly keyPath?: string,
  ) {
    super(reason);
  }
}

/** 1-based line and column of an offset. */
export function lineAndColumn(source: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i >= 0 && i < pos; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // Characters, not UTF-16 units: a character outside the BMP counts once.
  let column = pos - lineStart + 1;
  for (let i = lineStart; i < pos - 1; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) column--;
  }
  return { line, column };
}

export function toTemplateError(failure: TemplateFailure, source: string, name: string): TemplateError {
  const { line, column } = lineAndColumn(source, Math.min(failure.pos, source.length));
  let message = `template: ${name}:${line}:${column}: `;
  if (failure.kind !== "parse") message += `executing ${quoted(failure.executing ?? name)} at <${failure.context ?? ""}>: `;
  message += failure.reason;
  return new TemplateError(message, {
    kind: failure.kind,
    templateName: name,
    line,
    column,
    reason: failure.reason,
    keyPath: failure.keyPath,
  });
}
