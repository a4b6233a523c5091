// Small HTTP helpers for the backend: the error envelope, CORS, bounded body
// reading. Every response is JSON `{error, code}` on failure (§1.1).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorCode } from "../protocol.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, "INVALID_REQUEST", message);
export const notFound = (message: string) => new HttpError(404, "NOT_FOUND", message);

export const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Orun-Deploy-Token, X-GitHub-Access-Token, X-Orun-Lease",
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS_HEADERS, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { ...CORS_HEADERS, "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length });
  res.end(body);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: err.message, code: err.code }, err.headers);
}

/**
 * Reads the whole body, refusing more than `maxBytes` with 413 (naming `what` the body is, when given). The 413
 * closes the connection: the body is left unread (all of it, when its declared size is over), and kept alive the
 * server would read and discard the rest of it, up to its request timeout, only to reuse the connection.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, what?: string): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes${what ? `, the cap on ${what}` : ""}`, { Connection: "close" });
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Deepest nesting of arrays and objects a JSON body may have. JSON.parse takes tens of thousands of levels, but
 * JSON.stringify (a plan is stored as its JSON) recurses and overflowed the stack: a 500. Plans nest a few levels.
 */
export const MAX_JSON_DEPTH = 512;

/** Whether `text` nests arrays and objects deeper than `max` (brackets inside strings are text). */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export async function readJson(req: IncomingMessage, maxBytes: number, what?: string): Promise<Record<string, unknown>> {
  const raw = await readBody(req, maxBytes, what);
  const text = raw.toString("utf8");
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw badRequest(`Invalid JSON body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest("Invalid JSON body");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw badRequest("Invalid JSON body: expected an object");
  return value as Record<string, unknown>;
}

/** A C0 control character or DEL. */
export function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Half of a UTF-16 surrogate pair without its other half: JSON can carry one, UTF-8 (every store) cannot. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Not storable as UTF-8: the store would keep U+FFFD instead, so two distinct IDs could become one key. */
export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

/**
 * Text the backend stores or queries with (a plan's checksum, an actor, a run or job ID named in a URL):
 * no control characters. No stored ID has one (checkId), and PostgreSQL text cannot hold NUL at all.
 */
export function checkText(field: string, value: string): string {
  if (hasControlChar(value)) throw badRequest(`Invalid ${field}: control characters are not allowed`);
  if (hasLoneSurrogate(value)) throw badRequest(`Invalid ${field}: not valid Unicode (a lone UTF-16 surrogate)`);
  return value;
}

/** Run and job IDs become database keys and log names: printable, no `/`, bounded. */
export function checkId(kind: "runId" | "jobId" | "runnerId", value: unknown): string {
  if (value === undefined || value === null || value === "") throw badRequest(`Missing ${kind}`);
  if (typeof value !== "string") throw badRequest(`Invalid ${kind}: must be a string, got ${Array.isArray(value) ? "an array" : typeof value}`);
  if (value.trim() === "") throw badRequest(`Invalid ${kind}: blank`);
  // C1 controls too (U+0080–U+009F): `orun status` prints IDs, and some terminals act on 8-bit CSI.
  if (value.length > 256 || /[/\\\u0080-\u009f]/.test(value) || hasControlChar(value)) throw badRequest(`Invalid ${kind}: at most 256 printable characters, no slashes`);
  if (hasLoneSurrogate(value)) throw badRequest(`Invalid ${kind}: not valid Unicode (a lone UTF-16 surrogate)`);
  // URL normalisation drops `.` and `..` path segments: such an ID could be stored but never addressed.
  if (value === "." || value === "..") throw badRequest(`Invalid ${kind}: "${value}" cannot be used in a URL path`);
  return value;
}
