// YAML reading with source positions. Every orun input goes through here so a
// later error can name the file, the line and the field: documents keep their
// node tree and a LineCounter, and `originAt` turns a field path into an
// Origin (see src/model/intent.ts).

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Alias, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import type { FieldPath, Origin } from "../../model/intent.js";
import { OrunError, type SourceLocation } from "../../util/errors.js";
import { HIDDEN_CHAR } from "../../util/hidden-chars.js";
import { quoted } from "../../util/printable.js";

export type PathSegment = string | number;

/** One parsed YAML document and what is needed to point back into it. */
export interface YamlDoc {
  /** File as shown in messages (relative to the intent directory when inside it). */
  readonly file: string;
  /** Absolute path. */
  readonly absPath: string;
  /** 0-based index of the document inside a multi-document file. */
  readonly index: number;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Plain JS value of the document (YAML 1.2 core schema: `on`/`yes` stay strings). */
  readonly value: unknown;
}

/** Input files are small by nature; a cap keeps a stray huge file from exhausting memory. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;

/**
 * Values a document may hold once its aliases are expanded. One anchor reused
 * by thousands of components is fine (the yaml library's own per-anchor alias
 * count refused a 1,001st use); aliases of aliases multiplying ("billion
 * laughs") are not: they are refused before anything is expanded.
 */
export const MAX_EXPANDED_VALUES = 5_000_000;

/**
 * Each alias of the document and the node it names: the last node anchored before it in document order, as
 * the YAML spec and the yaml library's Alias.resolve say. Built in one walk and kept per document: the
 * library's resolve searches the whole document for every alias, quadratic with thousands of aliases.
 */
const aliasTargetsByDoc = new WeakMap<Document, Map<Alias, unknown>>();

function aliasTargets(doc: Document): Map<Alias, unknown> {
  let targets = aliasTargetsByDoc.get(doc);
  if (targets) return targets;
  targets = new Map();
  const anchored = new Map<string, unknown>();
  const walk = (node: unknown): void => {
    if (isAlias(node)) {
      targets.set(node, anchored.get(node.source));
      return;
    }
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor) anchored.set(anchor, node);
    if (!isMap(node) && !isSeq(node)) return;
    for (const item of node.items as unknown[]) {
      if (!isPair(item)) walk(item);
      else {
        walk(item.key);
        walk(item.value);
      }
    }
  };
  walk(doc.contents);
  aliasTargetsByDoc.set(doc, targets);
  return targets;
}

/** The node an alias names (undefined when no anchor precedes it); any other node as it is. */
export function resolveAlias(doc: Document, node: unknown): unknown {
  if (!isAlias(node)) return node;
  const targets = aliasTargets(doc);
  // An alias added to the document after the walk is looked up the library's (slow) way.
  return targets.has(node) ? targets.get(node) : node.resolve(doc);
}

/**
 * Makes the yaml library's toJS resolve each alias of `doc` in constant time. Its Alias.resolve scans every
 * anchor and alias before this one, so a document with n aliases took O(n²): 200,000 aliases in a 700 kB file
 * never finished. Each alias gets its own `resolve` answering from aliasTargets; the library's method still
 * answers whatever this does not know (an alias whose anchor toJS has not converted yet).
 */
function resolveAliasesFast(doc: Document): void {
  const targets = aliasTargets(doc);
  for (const [alias, target] of targets) {
    if (target === undefined) continue; // an unknown anchor: the library tells it
    const libraryResolve = alias.resolve;
    Object.defineProperty(alias, "resolve", {
      configurable: true,
      value(this: Alias, d: Document, ctx?: { anchors?: Map<unknown, unknown> }) {
        return d === doc && (!ctx || ctx.anchors?.has(target)) ? target : libraryResolve.call(this, d, ctx as never);
      },
    });
  }
}

/**
 * How many values (scalars, collections, map keys) the document expands to; aliases count what they stand for.
 * An alias inside the node it names counts as Infinity.
 */
export function expandedValues(doc: Document): number {
  const sizes = new Map<unknown, number>();
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const target = resolveAlias(doc, node);
      if (target === undefined) return 1; // an unknown anchor: told by toJS, where it is
      return sizes.get(target) ?? Infinity; // named before it is complete: an alias inside its own anchor
    }
    let total = 1;
    if (isMap(node) || isSeq(node)) for (const item of node.items as unknown[]) total += isPair(item) ? size(item.key) + size(item.value) : size(item);
    if ((node as { anchor?: string } | null)?.anchor) sizes.set(node, total);
    return total;
  };
  return size(doc.contents);
}

/** A parser failure in the user's terms: values nested about a thousand deep overflowed the parser's stack. */
function readableReason(message: string): string {
  return /Maximum call stack size exceeded/.test(message) ? "values nested too deeply (lists or mappings inside each other, about a thousand levels)" : message;
}

/** Parses every document of a YAML text. Syntax errors and duplicate keys name file:line:col. */
export function parseYamlText(text: string, file: string, absPath: string): YamlDoc[] {
  const lineCounter = new LineCounter();
  // merge: YAML merge keys (`<<: *anchor`), as yaml.v3 (v2.3) accepts them.
  // intAsBigInt: an integer beyond 2^53 is seen exactly, so it is refused rather than rounded (findUnrepresentable).
  // uniqueKeys: false: the library compares each new key with every earlier one of its map (quadratic: a 16k-key
  // map took seconds, 200k never finished); firstDuplicateKey does it with one Set per map.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true, intAsBigInt: true });
  if (!Array.isArray(docs)) return []; // an EmptyStream: no documents at all
  const out: YamlDoc[] = [];
  docs.forEach((doc, index) => {
    // The first problem in the text: a syntax error or a duplicate key, whichever comes first.
    const err = doc.errors[0];
    const duplicate = firstDuplicateKey(doc.contents);
    if (duplicate !== undefined && (!err || duplicate <= err.pos[0])) {
      const { line, col } = lineCounter.linePos(duplicate);
      throw new OrunError(`invalid YAML: duplicate key: ${keyAt(text, duplicate)}`, { location: { file, line, column: col } });
    }
    if (err) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      throw new OrunError(`invalid YAML: ${readableReason(err.message.split("\n")[0]!)}`, { location: { file, line, column: col } });
    }
    let value: unknown;
    // A circular alias (Infinity) is told below, where it is (findUnrepresentable).
    const expanded = text.includes("*") ? expandedValues(doc) : 0;
    if (expanded > MAX_EXPANDED_VALUES && expanded !== Infinity) {
      const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : 1;
      throw new OrunError(`invalid YAML: its aliases expand to more than ${MAX_EXPANDED_VALUES.toLocaleString("en-US")} values (aliases of aliases multiply)`, { location: { file, line } });
    }
    readNumbersAsYamlV3(doc.contents);
    try {
      if (expanded > 0) resolveAliasesFast(doc);
      value = doc.toJS({ maxAliasCount: -1 });
    } catch (cause) {
      // An alias naming no anchor before it is told at the alias's line, not the document's first.
      const unknownAlias = /Unresolved alias/.test((cause as Error).message) ? [...aliasTargets(doc)].find(([, target]) => target === undefined)?.[0] : undefined;
      const range = unknownAlias?.range ?? doc.contents?.range;
      const line = range ? lineCounter.linePos(range[0]).line : 1;
      throw new OrunError(`invalid YAML: ${readableReason((cause as Error).message)}`, { location: { file, line }, cause });
    }
    if (typeof value === "bigint") value = unsafeInteger(value) ? value : Number(value); // a document that is one integer
    const yd: YamlDoc = { file, absPath, index, doc, lineCounter, value };
    const bad = findUnrepresentable(value, []);
    if (bad) throw errorAt(yd, bad.path, bad.message);
    out.push(yd);
  });
  return out;
}

/** Go's integer literals (strconv.ParseInt base 0, which yaml.v3 uses): a leading 0 is octal, and 0b/0B, 0o/0O, 0x/0X prefixes. */
const GO_INTEGER = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** yaml.v3's yamlStyleFloat. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/**
 * A plain scalar's number as yaml.v3 (orun v2.3, spec 10 §1.10) reads it, where YAML 1.2's core schema reads
 * another value or a string: `010` is 8 (not 10), `1_000` is 1000 and `1_0.5` 10.5 (not strings), `0b101` 5,
 * `0X1F` and `-0x10` numbers. yaml.v3 drops every `_` of a scalar that starts with a digit or a sign, then tries
 * an integer, then a float. Integers come back as bigints, as the parser gives them (intAsBigInt).
 */
export function yamlV3Number(source: string): bigint | number | undefined {
  if (!/^[-+0-9]/.test(source)) return undefined;
  const plain = source.replaceAll("_", "");
  const int = GO_INTEGER.exec(plain);
  if (int) {
    const [, sign, digits] = int as unknown as [string, string, string];
    const legacyOctal = digits.length > 1 && digits[0] === "0" && /^[0-7]+$/.test(digits);
    const magnitude = BigInt(legacyOctal ? `0o${digits.slice(1)}` : digits.toLowerCase());
    return sign === "-" ? -magnitude : magnitude;
  }
  return GO_FLOAT.test(plain) ? Number(plain) : undefined;
}

/**
 * Gives plain untagged scalar values yaml.v3's numbers (yamlV3Number) so an intent means what it meant to
 * orun v2.3; the YAML 1.2 reading changed `mode: 0755` to 755 without a word. Keys stay as written, and
 * string fields (env, labels) still read the source text.
 */
function readNumbersAsYamlV3(node: unknown): void {
  if (isScalar(node)) {
    if (node.type !== "PLAIN" || node.tag || node.source === undefined) return;
    const number = yamlV3Number(node.source);
    if (number !== undefined) node.value = number;
  } else if (isSeq(node)) {
    for (const item of node.items) readNumbersAsYamlV3(item);
  } else if (isMap(node)) {
    for (const pair of node.items) readNumbersAsYamlV3(pair.value);
  }
}

/**
 * Where the first repeated map key is written (its offset), in document order. Two keys are duplicates when
 * they name the same field once read: `1` and `"1"`, `true` and `"true"`, `~` and `""` all become one key of
 * a plain object, and the later would silently replace the earlier (yaml.v3 compares the key text too, so
 * v2.3 refused these). Linear: one Set of key texts per map. Aliases are not followed (their target is
 * checked where it is written).
 */
function firstDuplicateKey(node: unknown): number | undefined {
  if (isSeq(node)) {
    for (const item of node.items) {
      const found = firstDuplicateKey(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isMap(node)) return undefined;
  const seen = new Set<string>();
  for (const pair of node.items) {
    if (isScalar(pair.key)) {
      const text = keyText(pair.key.value);
      if (seen.has(text)) return pair.key.range?.[0] ?? 0;
      seen.add(text);
    } else {
      const found = firstDuplicateKey(pair.key); // a collection as a key (`? {a: 1, a: 2}`)
      if (found !== undefined) return found;
    }
    const found = firstDuplicateKey(pair.value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function keyText(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/**
 * Values no plan can hold, with where they are: a `__proto__` map key (once copied
 * into a plain object it would replace that object's prototype instead of adding
 * a key), `.inf`/`.nan` (JSON has no such numbers) and an alias inside the node it
 * names (`a: &x [*x]`: a value that contains itself). Integers arrive as bigints
 * and are made numbers here, in place, when a number holds them exactly; the
 * others stay bigints for exactIntegers.
 */
function findUnrepresentable(value: unknown, path: PathSegment[], enclosing = new Set<object>()): { path: PathSegment[]; message: string } | undefined {
  if (typeof value === "number" && !Number.isFinite(value)) return { path, message: `${String(value)} cannot be represented in a plan (JSON has no such number)` };
  if (!value || typeof value !== "object") return undefined;
  if (enclosing.has(value)) return { path, message: "an alias refers to a node that contains it (the value would contain itself)" };
  enclosing.add(value);
  try {
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
    for (const [key, item] of entries) {
      if (key === "__proto__") return { path: [...path, key], message: "the key __proto__ is not allowed" };
      const found = findUnrepresentable(item, [...path, key], enclosing);
      if (found) return found;
      if (typeof item === "bigint" && !unsafeInteger(item)) (value as Record<PathSegment, unknown>)[key] = Number(item);
    }
    return undefined;
  } finally {
    enclosing.delete(value);
  }
}

function unsafeInteger(value: bigint): boolean {
  return value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER);
}

/**
 * Integers beyond 2^53 (which a JavaScript number would silently round:
 * 9007199254740993 became ...992 in plan.json) where the document has them.
 * Where a string is allowed (`stringAt`: env and label maps, read as their
 * source text as yaml.v3 does), one becomes its exact source text; anywhere
 * else it is an error naming the file, line and field. Call once per document,
 * before its values are used.
 */
export function exactIntegers(
  yd: YamlDoc,
  stringAt: (path: readonly PathSegment[]) => boolean = () => false,
  /** Whether a string may stand there (a number-only field such as retries gets no "quote it" hint). */
  quotable: (path: readonly PathSegment[]) => boolean = () => true,
): void {
  const visit = (value: unknown, path: PathSegment[], seen: Set<object>): void => {
    if (!value || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
    for (const [key, item] of entries) {
      const at = [...path, key];
      if (typeof item !== "bigint") {
        visit(item, at, seen);
        continue;
      }
      if (!stringAt(at)) {
        // The hint quotes the source as written (0x20000000000001, not its decimal value).
        const hint = quotable(at) ? `; quote it ("${scalarSourceAt(yd, at) ?? String(item)}") to keep it as a string` : "";
        throw errorAt(yd, at, `the integer ${item} is beyond ±9007199254740991 (2^53 - 1), the largest orun holds exactly${hint}`);
      }
      (value as Record<PathSegment, unknown>)[key] = scalarSourceAt(yd, at) ?? String(item);
    }
  };
  if (typeof yd.value === "bigint") throw errorAt(yd, [], `the integer ${yd.value} is beyond ±9007199254740991 (2^53 - 1), the largest orun holds exactly`);
  visit(yd.value, [], new Set());
}

/** Reads and parses a YAML file; read failures become OrunErrors naming the file. */
export async function readYamlFile(absPath: string, file: string): Promise<YamlDoc[]> {
  let text: string;
  try {
    // Small files: a synchronous read is several times cheaper than fs.promises.readFile
    // (no thread-pool round trips), which matters with thousands of component manifests.
    text = decodeText(readRegularFile(absPath, file), file);
  } catch (cause) {
    if (cause instanceof OrunError) throw cause;
    throw new OrunError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { location: { file }, cause });
  }
  return parseYamlText(text, file, absPath);
}

/**
 * The bytes of a regular file (a symlink to one is fine: monorepos link shared
 * manifests). A FIFO or a device in its place (a checkout can hold a symlink
 * to /dev/zero or to a named pipe) is refused: reading one hung orun plan or
 * filled memory. O_NONBLOCK keeps the open itself from waiting for a FIFO's writer.
 */
function readRegularFile(absPath: string, file: string): Buffer {
  const fd = openSync(absPath, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new OrunError("is not a regular file (a device, FIFO or socket); orun reads YAML only from files", { location: { file } });
    if (stat.size > MAX_YAML_BYTES) {
      throw new OrunError(`file is too large (${stat.size} bytes; orun reads YAML files up to ${MAX_YAML_BYTES} bytes)`, { location: { file } });
    }
    // Read to the end, not to the size fstat gave: the file may change meanwhile; the cap holds either way.
    const chunks: Buffer[] = [];
    let total = 0;
    for (let n = readSync(fd, scratch, 0, scratch.length, null); n > 0; n = readSync(fd, scratch, 0, scratch.length, null)) {
      total += n;
      if (total > MAX_YAML_BYTES) throw new OrunError(`file is too large (over ${MAX_YAML_BYTES} bytes; orun reads YAML files up to that size)`, { location: { file } });
      chunks.push(Buffer.from(scratch.subarray(0, n)));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** One read buffer for every file (reads are synchronous). */
const scratch = Buffer.alloc(256 * 1024);

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * YAML text as YAML (and yaml.v3) reads it: UTF-8, or UTF-16 with a byte-order
 * mark (what Windows PowerShell's `>` writes). Anything else is refused naming
 * the file, rather than parsed into a garbled value.
 */
export function decodeText(bytes: Buffer, file: string): string {
  return lineBreaks(decodeBytes(bytes, file));
}

/**
 * A lone CR is a line break in YAML (and to yaml.v3) but not to the yaml
 * package, which kept it in the value (`stack: network\r` at the end of a
 * file without a final LF) or failed on old Mac line endings.
 */
function lineBreaks(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

function decodeBytes(bytes: Buffer, file: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const body = Buffer.from(bytes.subarray(2));
    if (body.length % 2 !== 0) throw new OrunError("is not valid UTF-16 text (an odd number of bytes)", { location: { file } });
    return body.swap16().toString("utf16le");
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new OrunError("is not UTF-8 text: save it as UTF-8 (or UTF-16 with a byte-order mark)", { location: { file } });
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    const line = text.slice(0, nul).split("\n").length;
    throw new OrunError("contains a NUL character: save it as UTF-8 (UTF-16 needs a byte-order mark)", { location: { file, line } });
  }
  return text;
}

/** Reads a file that must hold exactly one YAML document (intent.yaml, component.yaml, stack.yaml). */
export async function readSingleDocument(absPath: string, file: string): Promise<YamlDoc> {
  const docs = await readYamlFile(absPath, file);
  if (docs.length > 1) {
    const second = docs[1]!;
    const line = second.doc.range ? second.lineCounter.linePos(second.doc.range[0]).line : 1;
    throw new OrunError("expected a single YAML document, found another one (`---`)", { location: { file, line } });
  }
  if (docs.length === 0 || docs[0]!.value === null || docs[0]!.value === undefined) {
    throw new OrunError("file is empty: expected a YAML mapping", { location: { file, line: 1 } });
  }
  return docs[0]!;
}

function keyAt(text: string, offset: number): string {
  const m = /^[^\n:]*/.exec(text.slice(offset));
  return (m?.[0] ?? "").trim() || "(unknown)";
}

interface Found {
  node: Node | null;
  /** Offset where the deepest existing segment is written (its key for map entries). */
  offset: number;
}

/** Follows `path` from the document root; stops at the deepest existing node. */
function find(yd: YamlDoc, path: readonly PathSegment[]): Found {
  let node: unknown = yd.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    node = resolveAlias(yd.doc, node);
    if (isMap(node)) {
      const pair = findPair(yd.doc, node, String(seg));
      if (!pair) return { node: null, offset };
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return { node: null, offset };
      node = item;
      offset = (item as Node | null)?.range?.[0] ?? offset;
    } else {
      return { node: null, offset };
    }
  }
  return { node: (resolveAlias(yd.doc, node) as Node | null) ?? null, offset };
}

/** The entry for `key` in a map: its own, else one brought in by a merge key (`<<: *a` or `<<: [*a, *b]`, first wins). */
function findPair(doc: Document.Parsed, map: YAMLMap, key: string, depth = 0): Pair | undefined {
  const own = map.items.find((p) => isPair(p) && keyString(p.key) === key);
  if (own || depth > 20) return own;
  for (const p of map.items) {
    if (!isPair(p) || !isMergeKey(p.key)) continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const source of sources) {
      const target = resolveAlias(doc, source);
      const found = isMap(target) ? findPair(doc, target, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** A merge key: parsed with `merge: true`, the yaml library gives `<<` the value Symbol(<<) (a quoted "<<" is a plain key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol";
}

function keyString(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

export function lineAt(yd: YamlDoc, path: readonly PathSegment[]): number {
  return yd.lineCounter.linePos(find(yd, path).offset).line;
}

function posAt(yd: YamlDoc, path: readonly PathSegment[]): { line: number; col: number } {
  return yd.lineCounter.linePos(find(yd, path).offset);
}

/** The source text of a scalar (`1.0` stays "1.0", `true` stays "true"); undefined for non-scalars. */
export function scalarSourceAt(yd: YamlDoc, path: readonly PathSegment[]): string | undefined {
  const { node } = find(yd, path);
  if (!isScalar(node)) return undefined;
  return node.source ?? String(node.value);
}

export function splitField(field: FieldPath | undefined): PathSegment[] {
  if (field === undefined) return [];
  if (typeof field !== "string") return [...field];
  if (field === "") return [];
  return field
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * `environments.prod.promotion.dependsOn[0].satisfy`. A key holding a line break or another hidden character is
 * quoted in brackets (`environments["de\u{a}v"]`): raw, it broke the error's line or hid in it.
 */
export function formatField(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (HIDDEN_CHAR.test(seg)) out += `[${quoted(seg)}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

class DocOrigin implements Origin {
  constructor(
    private readonly yd: YamlDoc,
    readonly path: readonly PathSegment[],
  ) {}
  get file(): string {
    return this.yd.file;
  }
  get line(): number {
    return posAt(this.yd, this.path).line;
  }
  get column(): number {
    return posAt(this.yd, this.path).col;
  }
  lineOf(field?: FieldPath): number {
    return lineAt(this.yd, [...this.path, ...splitField(field)]);
  }
  at(field?: FieldPath): SourceLocation {
    const full = [...this.path, ...splitField(field)];
    return { file: this.yd.file, line: lineAt(this.yd, full), field: formatField(full) || undefined };
  }
}

export function originAt(yd: YamlDoc, path: readonly PathSegment[] = []): Origin {
  return new DocOrigin(yd, path);
}

/** An OrunError at a field of a document: `file:line: field: message`. */
export function errorAt(yd: YamlDoc, path: readonly PathSegment[], message: string, hint?: string): OrunError {
  const field = formatField(path);
  return new OrunError(field ? `${field}: ${message}` : message, { location: { file: yd.file, line: lineAt(yd, path) }, hint });
}

/** Same as errorAt, from an Origin (for objects already decoded). */
export function errorAtOrigin(origin: Origin, field: FieldPath | undefined, message: string, hint?: string): OrunError {
  const loc = origin.at(field);
  return new OrunError(loc.field ? `${loc.field}: ${message}` : message, { location: { file: loc.file, line: loc.line }, hint });
}
