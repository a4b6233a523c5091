// Go literal syntax inside actions: quoted strings (strconv.Unquote), character
// constants and numbers (int, float, hex/octal/binary, underscores).

import { quoted } from "../util/printable.js";

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };

function pushUtf8(bytes: number[], cp: number): void {
  if (cp < 0x80) bytes.push(cp);
  else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/**
 * Decodes the body of a Go interpreted literal (between the quotes). Escapes
 * \x and octal produce raw bytes, so the result is decoded as UTF-8 at the end.
 * Returns undefined for invalid syntax.
 */
function decodeEscapes(body: string, quote: '"' | "'"): string | undefined {
  if (!body.includes("\\")) return body.includes(quote) ? undefined : body;
  const bytes: number[] = [];
  let i = 0;
  while (i < body.length) {
    const cp = body.codePointAt(i) ?? 0;
    if (cp !== 92) {
      if (String.fromCodePoint(cp) === quote) return undefined;
      pushUtf8(bytes, cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]);
    } else if (e === quote) {
      bytes.push(e.charCodeAt(0));
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
      const v = parseInt(hex, 16);
      i += n;
      if (e === "x") bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else pushUtf8(bytes, v);
    } else if (e >= "0" && e <= "7") {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      const v = parseInt(oct, 8);
      if (v > 255) return undefined;
      bytes.push(v);
      i += 2;
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Unquotes a "double-quoted" or `raw` string literal as written in the template. */
export function unquoteString(literal: string): string | undefined {
  if (literal.startsWith("`")) return literal.slice(1, -1).replace(/\r/g, "");
  return decodeEscapes(literal.slice(1, -1), '"');
}

/** The code point of a character constant such as 'a' or '\n'. */
export function parseCharConstant(literal: string): number | undefined {
  // In a rune literal \xNN and \NNN are the code point itself (strconv.UnquoteChar), not a UTF-8 byte.
  const byteEscape = /^'\\(?:x([0-9a-fA-F]{2})|([0-7]{3}))'$/.exec(literal);
  if (byteEscape) {
    const value = byteEscape[1] !== undefined ? parseInt(byteEscape[1], 16) : parseInt(byteEscape[2], 8);
    return value > 255 ? undefined : value;
  }
  const decoded = decodeEscapes(literal.slice(1, -1), "'");
  if (decoded === undefined) return undefined;
  const chars = [...decoded];
  if (chars.length !== 1) return undefined;
  return chars[0].codePointAt(0);
}

const DEC_INT = /^[+-]?(?:0|[1-9](?:_?[0-9])*)$/;
const LEGACY_OCT = /^[+-]?0(?:_?[0-7])+$/;
const PREFIXED_INT = /^([+-]?)0(?:([xX])_?([0-9a-fA-F](?:_?[0-9a-fA-F])*)|([oO])_?([0-7](?:_?[0-7])*)|([bB])_?([01](?:_?[01])*))$/;
const DEC_FLOAT = /^[+-]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]_?([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9_]+)$/;

/** Parses a number literal like Go's parse.newNumber; returns a message for bad syntax. */
export function parseNumber(text: string): { value: number } | { error: string } {
  if (text.endsWith("i")) return { error: `complex number ${quoted(text)} is not supported` };
  const plain = text.replace(/_/g, "");
  if (DEC_INT.test(text)) return integer(text, BigInt(plain.replace(/^\+/, "")));
  if (LEGACY_OCT.test(text)) return integer(text, signedBig(plain, BigInt(`0o${plain.replace(/^[+-]?0/, "")}`)));
  const prefixed = PREFIXED_INT.exec(text);
  if (prefixed) {
    const [, sign, , hex, , oct, , bin] = prefixed;
    const digits = (hex ?? oct ?? bin).replace(/_/g, "");
    const value = BigInt(`0${hex !== undefined ? "x" : oct !== undefined ? "o" : "b"}${digits}`);
    return integer(text, sign === "-" ? -value : value);
  }
  // Go reads 09 as an octal literal with a bad digit.
  if (/^[+-]?0[0-9_]*$/.test(text)) return { error: `illegal number syntax: ${quoted(text)}` };
  if (DEC_FLOAT.test(text) && /[0-9]/.test(text)) return finite(text, Number(plain));
  const hexFloat = HEX_FLOAT.exec(text);
  if (hexFloat && /[0-9a-fA-F]/.test(hexFloat[2] + (hexFloat[3] ?? ""))) {
    const [, sign, whole, frac = "", exp] = hexFloat;
    const mantissa = parseInt((whole + frac).replace(/_/g, "") || "0", 16) / 16 ** frac.replace(/_/g, "").length;
    const value = mantissa * 2 ** Number(exp.replace(/_/g, ""));
    return finite(text, sign === "-" ? -value : value);
  }
  return { error: `illegal number syntax: ${quoted(text)}` };
}

function signedBig(text: string, magnitude: bigint): bigint {
  return text.startsWith("-") ? -magnitude : magnitude;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An integer literal is a Go int (64 bits): beyond that Go refuses it. Within
 * it, one that a JavaScript number cannot hold exactly (beyond 2^53) is refused
 * too rather than printed as a different number.
 */
function integer(text: string, value: bigint): { value: number } | { error: string } {
  if (value < INT64_MIN || value > INT64_MAX) return { error: `${text} overflows int` };
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { error: `integer ${text} is beyond 2^53, which orun cannot represent exactly` };
  }
  return { value: Number(value) };
}

/** strconv.ParseFloat refuses a literal out of float64 range (1e400). */
function finite(text: string, value: number): { value: number } | { error: string } {
  return Number.isFinite(value) ? { value } : { error: `illegal number syntax: ${quoted(text)}` };
}
