// Go text/template for step fields (`run`, `use`, `with`, `env`, ...).
//
// Supported: text and actions, `{{-`/`-}}` trim markers, comments, field chains,
// `$` and variables (`:=`, `=`), pipelines, parenthesised pipelines, Go literals,
// if/else if/else, range (slices, maps in sorted key order, integers; break,
// continue, else), with/else with, define/template/block and the builtins
// and or not len index slice print printf println eq ne lt le gt ge html js
// urlquery call. Values print as Go's fmt prints them (`[a b]`, `map[a:1]`).
//
// Deliberate differences from Go (product decision 4):
// - A missing map key is an error (TemplateError kind "missing-key", with the
//   key path) when it is printed, passed to a function, compared or ranged
//   over. In a truth test (if, else if, with, and, or, not) it is simply false,
//   so `{{if .parameters.optional}}...{{end}}` works. `<no value>` is never output.
// - Printing nil (a key whose value is null) is an error of the same kind.
// - Numbers are JavaScript numbers: an integral value is an int, any other a
//   float64; ints and floats compare with each other and float verbs accept ints.
//   So `{{printf "%T" 2.0}}` is int and `{{printf "%d" 2.0}}` prints 2; -0.0 prints 0.
//   An integer literal beyond 2^53 is refused (Go would print it exactly; a
//   JavaScript number cannot hold it); complex literals (`1i`) are refused.
// - Strings are JavaScript (UTF-16) strings: len, index and slice count UTF-8
//   bytes as Go does, but a byte sequence that is not UTF-8 (slice inside a
//   character, "\xff") becomes U+FFFD where Go would output the raw bytes.
// - Stricter: a dangling pipe (`{{ .x | }}`) is a parse error; error messages
//   carry line:column and name the concrete type (`in type string`). Columns are
//   1-based characters, for editors (Go prints none in parse errors and a
//   0-based byte offset in execution errors); the `<...>` context is cut at 40
//   characters.
// - Hostile input stops with an error instead of hanging or exhausting memory:
//   1000 nested template calls (Go: 100000), 1,000,000 template calls,
//   10,000,000 range iterations, 64 MiB of output or of one print/printf result.
//   printf keeps Go's own limits (a width or precision above 10^6 in the format
//   is %!(NOVERB), from an argument %!(BADWIDTH)/%!(BADPREC)).
//
// GitHub Actions expressions pass through untouched: a `{{` immediately preceded
// by `$` is literal text up to the first `}}` outside a single-quoted string
// (GitHub's '...' literals, '' escaping a quote). So
// `echo ${{ github.sha }} {{ .orun.component.name }}` renders only the second.

import type { TemplateTree } from "./ast.js";
import { TemplateError, TemplateFailure, toTemplateError } from "./errors.js";
import { execute } from "./exec.js";
import { parse } from "./parser.js";

export { TemplateError } from "./errors.js";
export type { TemplateErrorKind } from "./errors.js";

export interface RenderOptions {
  /** Name used in error messages (`template: NAME:line:col: ...`). Default "template". */
  name?: string;
}

const DEFAULT_NAME = "template";

/** A parsed template, reusable for any data. */
export class Template {
  constructor(
    readonly name: string,
    readonly source: string,
    private readonly tree: TemplateTree | undefined,
  ) {}

  /** False when the source has no `{{` at all: execute() then returns it as is. */
  get hasActions(): boolean {
    return this.tree !== undefined;
  }

  execute(data: unknown): string {
    if (!this.tree) return this.source;
    try {
      return execute(this.tree, data);
    } catch (err) {
      if (err instanceof TemplateFailure) throw toTemplateError(err, this.source, this.name);
      const reason = isStackOverflow(err) ? "template nesting too deep" : isStringTooLong(err) ? "output too large" : undefined;
      if (reason) {
        throw new TemplateError(`template: ${this.name}: ${reason}`, { kind: "exec", templateName: this.name, line: 1, column: 1, reason });
      }
      throw err;
    }
  }
}

/** A value built past V8's string limit (e.g. print of many widest printf results). */
function isStringTooLong(err: unknown): boolean {
  return err instanceof RangeError && /invalid string length/i.test(err.message);
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

// Parsed trees (or the parse failure) by source text. Names only matter for
// messages, so one parse serves every component that shares a step's text.
const MAX_CACHE_ENTRIES = 10_000;
const cache = new Map<string, TemplateTree | TemplateFailure>();

function compile(source: string): TemplateTree | TemplateFailure {
  let entry = cache.get(source);
  if (entry === undefined) {
    try {
      entry = parse(source);
    } catch (err) {
      if (isStackOverflow(err)) entry = new TemplateFailure("parse", "template nesting too deep", 0);
      else if (err instanceof TemplateFailure) entry = err;
      else throw err;
    }
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(source, entry);
  }
  return entry;
}

/** Parses `source` (cached by text). Throws TemplateError (kind "parse") naming line and column. */
export function parseTemplate(source: string, name: string = DEFAULT_NAME): Template {
  if (!source.includes("{{")) return new Template(name, source, undefined);
  const entry = compile(source);
  if (entry instanceof TemplateFailure) throw toTemplateError(entry, source, name);
  return new Template(name, source, entry);
}

/** Renders `source` with `data` as the dot. Throws TemplateError on parse or execution errors. */
export function renderTemplate(source: string, data: unknown, options: RenderOptions = {}): string {
  if (!source.includes("{{")) return source;
  const name = options.name ?? DEFAULT_NAME;
  const entry = compile(source);
  if (entry instanceof TemplateFailure) throw toTemplateError(entry, source, name);
  return new Template(name, source, entry).execute(data);
}

/** Number of distinct sources parsed and cached. */
export function templateCacheSize(): number {
  return cache.size;
}

/** Forgets cached parses (tests and long-lived processes). */
export function clearTemplateCache(): void {
  cache.clear();
}
