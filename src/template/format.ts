// Go's fmt package, as far as templates need it: %v printing of values
// (`[a b]`, `map[a:1 b:2]`, `<nil>`, shortest floats), Sprint/Sprintln and
// Sprintf with flags, width, precision, argument indexes and Go's `%!` error forms.

import { isInt, isMap, sortedKeys, typeName } from "./values.js";

interface Flags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

const NO_FLAGS: Flags = { minus: false, plus: false, sharp: false, space: false, zero: false };

/** `%v` of a value, as fmt.Sprint prints one operand. */
export function formatValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      return isInt(v) ? formatIntDecimal(v) : formatFloat(v, "g", -1, NO_FLAGS);
    case "boolean":
      return v ? "true" : "false";
  }
  return formatArg(v, "v", NO_FLAGS);
}

function formatIntDecimal(v: number): string {
  return Math.abs(v) < 1e21 ? String(v === 0 ? 0 : v) : BigInt(v).toString();
}


/** print/printf/println stop building a result past this many characters (each verb is limited to ~10^7 by Go's width rules, not their sum). */
export const MAX_FORMATTED_LENGTH = 64 * 1024 * 1024;

/** Thrown when a formatted result would exceed MAX_FORMATTED_LENGTH. */
export class FormattedTooLong extends Error {
  constructor() {
    super(`result exceeds ${MAX_FORMATTED_LENGTH} characters`);
  }
}

/** `length`: a result's size known before it is built (refused without building it). */
function checkLength(s: string, length = s.length): void {
  if (length > MAX_FORMATTED_LENGTH) throw new FormattedTooLong();
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === "string";
    if (i > 0 && !isString && !prevString) out += " ";
    out += formatValue(arg);
    checkLength(out);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: unknown[]): string {
  let out = "";
  args.forEach((arg, i) => {
    out += (i > 0 ? " " : "") + formatValue(arg);
    checkLength(out);
  });
  return `${out}\n`;
}

export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < n; i++) {
      const c = format[i];
      if (c === "#") f.sharp = true;
      else if (c === "0") f.zero = !f.minus;
      else if (c === "+") f.plus = true;
      else if (c === "-") {
        f.minus = true;
        f.zero = false;
      } else if (c === " ") f.space = true;
      else break;
    }
    // fmt's argNumber: an explicit [n] argument index; a bad one prints %!v(BADINDEX).
    let goodArgNum = true;
    let afterIndex = false;
    const argIndex = (): void => {
      afterIndex = false;
      if (format[i] !== "[") return;
      reordered = true;
      let wid = 1;
      let index = -1;
      let ok = false;
      const close = n - i >= 3 ? format.indexOf("]", i + 1) : -1;
      if (close >= 0) {
        wid = close - i + 1;
        const digits = format.slice(i + 1, close);
        ok = /^[0-9]{1,7}$/.test(digits);
        if (ok) index = Number(digits) - 1;
      }
      i += wid;
      afterIndex = ok;
      if (ok && index >= 0 && index < args.length) argNum = index;
      else goodArgNum = false;
    };
    // fmt's parsenum/intFromArg: a width or precision beyond a million is refused
    // (a literal one swallows the rest of the format: %!(NOVERB)), as is a `*`
    // argument that is not an int (%!(BADWIDTH), %!(BADPREC)).
    const number = (bad: string): number | undefined => {
      if (format[i] === "*") {
        i++;
        let v: unknown;
        if (argNum < args.length) v = args[argNum++];
        if (isInt(v) && !tooLarge(v)) return v;
        out += bad;
        return undefined;
      }
      let num = 0;
      const start = i;
      for (; i < n && format[i] >= "0" && format[i] <= "9"; i++) {
        if (tooLarge(num)) {
          i = n;
          return undefined;
        }
        num = num * 10 + Number(format[i]);
      }
      return i > start ? num : undefined;
    };
    argIndex();
    const widthStar = format[i] === "*";
    const width = number("%!(BADWIDTH)");
    if (widthStar) afterIndex = false;
    else if (afterIndex && width !== undefined) goodArgNum = false; // "%[3]2d"
    if (width !== undefined) {
      if (width < 0) {
        f.minus = true;
        f.zero = false;
      }
      f.width = Math.abs(width);
    }
    if (i + 1 < n && format[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false; // "%[3].2d"
      argIndex();
      const star = format[i] === "*";
      const prec = number("%!(BADPREC)");
      if (star) afterIndex = false;
      if (prec !== undefined && prec < 0) out += "%!(BADPREC)";
      else if (prec !== undefined || !star) f.prec = prec ?? 0;
    }
    if (!afterIndex) argIndex();
    if (i >= n) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, f);
    checkLength(out);
  }
  if (!reordered && argNum < args.length) {
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => (a === null || a === undefined ? "<nil>" : `${typeName(a)}=${formatValue(a)}`))
      .join(", ")})`;
  }
  return out;
}

function tooLarge(x: number): boolean {
  return x > 1e6 || x < -1e6;
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

function runeCount(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}

/**
 * fmt's pad: to the width in characters; the 0 flag pads with zeros on the left
 * unless the verb turns it off (strings, %U, integers with a precision). A
 * number's sign goes before the zeros when `signed`.
 */
function pad(s: string, f: Flags, signed = false): string {
  if (f.width === undefined) return s;
  const missing = f.width - runeCount(s);
  if (missing <= 0) return s;
  if (f.minus) return s + " ".repeat(missing);
  if (!f.zero) return " ".repeat(missing) + s;
  const sign = signed && /^[+\- ]/.test(s) ? s[0] : "";
  return sign + "0".repeat(missing) + s.slice(sign.length);
}

function formatArg(v: unknown, verb: string, f: Flags): string {
  if (verb === "T") return pad(typeName(v), f);
  if (v === null || v === undefined) return verb === "v" ? pad("<nil>", f) : badVerb(verb, v);
  if (verb === "v" && f.sharp && typeof v === "string") return pad(quote(v), f);
  switch (typeof v) {
    case "boolean":
      return verb === "v" || verb === "t" ? pad(v ? "true" : "false", f) : badVerb(verb, v);
    case "number":
      return isInt(v) ? formatInteger(v, verb, f) : formatFloatVerb(v, verb, f);
    case "bigint":
      return formatInteger(Number(v), verb, f);
    case "string":
      return formatString(v, verb, f);
    case "function":
      return verb === "v" ? pad("func", f) : badVerb(verb, v);
  }
  if (Array.isArray(v)) {
    if (f.sharp && verb === "v") return `[]interface {}{${v.map((e) => goSyntax(e)).join(", ")}}`;
    return `[${v.map((e) => formatArg(e, verb, f)).join(" ")}]`;
  }
  if (isMap(v)) {
    if (f.sharp && verb === "v") return goSyntax(v);
    return `map[${sortedKeys(v)
      .map((k) => `${formatArg(k, verb, f)}:${formatArg(v[k], verb, f)}`)
      .join(" ")}]`;
  }
  return badVerb(verb, v);
}

/** `%#v`: Go syntax. */
function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return "interface {}(nil)";
  if (typeof v === "string") return quote(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(", ")}}`;
  if (isMap(v)) return `map[string]interface {}{${sortedKeys(v).map((k) => `${quote(k)}:${goSyntax(v[k])}`).join(", ")}}`;
  return formatValue(v);
}

function formatString(s: string, verb: string, flags: Flags): string {
  // Go's 0 flag is "ignored for strings, byte slices and byte arrays" (fmt docs).
  const f = flags.zero ? { ...flags, zero: false } : flags;
  switch (verb) {
    case "v":
    case "s":
      return pad(f.prec !== undefined ? firstRunes(s, f.prec) : s, f);
    case "q": {
      const t = f.prec !== undefined ? firstRunes(s, f.prec) : s;
      // %#q: a raw string when it can be one; %+q: ASCII only.
      if (f.sharp && canBackquote(t)) return pad(`\`${t}\``, f);
      return pad(quote(t, f.plus), f);
    }
    case "x":
    case "X": {
      // fmtSbx: precision counts bytes; space separates them, # prefixes 0x (each byte's with a space).
      let bytes = Buffer.from(s, "utf8");
      if (f.prec !== undefined && f.prec < bytes.length) bytes = bytes.subarray(0, f.prec);
      if (bytes.length === 0) return pad("", f);
      const prefix = f.sharp ? (verb === "X" ? "0X" : "0x") : "";
      // Refused before it is built: two digits a byte, plus separators and prefixes.
      checkLength("", bytes.length * (2 + (f.space ? 1 + prefix.length : 0)) + prefix.length);
      const digits = bytes.toString("hex");
      const hex = verb === "X" ? digits.toUpperCase() : digits;
      if (!f.space) return pad(prefix + hex, f);
      const pairs: string[] = [];
      for (let i = 0; i < hex.length; i += 2) pairs.push(hex.slice(i, i + 2));
      return pad(prefix + pairs.join(` ${prefix}`), f);
    }
  }
  return badVerb(verb, s);
}

function formatInteger(v: number, verb: string, f: Flags): string {
  const negative = v < 0;
  const abs = Math.abs(v);
  let digits: string;
  let base = 10;
  switch (verb) {
    case "v":
    case "d":
      digits = formatIntDecimal(abs);
      break;
    case "b":
      base = 2;
      digits = abs.toString(2);
      break;
    case "o":
    case "O":
      base = 8;
      digits = abs.toString(8);
      break;
    case "x":
    case "X":
      base = 16;
      digits = abs.toString(16);
      if (verb === "X") digits = digits.toUpperCase();
      break;
    case "c":
      return pad(isValidRune(v) ? String.fromCodePoint(v) : "\ufffd", f);
    case "q":
      return pad(quoteRune(v, f.plus), f);
    case "U": {
      const u = `U+${abs.toString(16).toUpperCase().padStart(4, "0")}`;
      // strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space
      const printable = isValidRune(v) && (v === 0x20 || !NON_PRINTABLE.test(String.fromCodePoint(v)));
      return pad(f.sharp && printable ? `${u} '${String.fromCodePoint(v)}'` : u, { ...f, zero: false });
    }
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G":
      // Lenient on purpose: YAML `2.0` reaches us as the integer 2, so floats verbs accept ints.
      return formatFloatVerb(v, verb, f);
    default:
      return badVerb(verb, v);
  }
  // fmt.fmtInteger: a precision, or else a zero flag with a width, asks for leading
  // zeros; the zero flag's count leaves room for a sign but not for the 0x prefix.
  let prec = 0;
  if (f.prec !== undefined) {
    if (f.prec === 0 && abs === 0) return pad("", { ...f, zero: false });
    prec = f.prec;
  } else if (f.zero && f.width !== undefined && !f.minus) {
    prec = f.width - (negative || f.plus || f.space ? 1 : 0);
  }
  digits = digits.padStart(prec, "0");
  let prefix = "";
  if (f.sharp) {
    if (base === 2) prefix = "0b";
    else if (base === 8 && digits[0] !== "0") prefix = "0";
    else if (base === 16) prefix = verb === "X" ? "0X" : "0x";
  }
  if (verb === "O") prefix = `0o${prefix}`;
  const sign = negative ? "-" : f.plus ? "+" : f.space ? " " : "";
  return pad(sign + prefix + digits, { ...f, zero: false });
}

function isValidRune(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

function formatFloatVerb(v: number, verb: string, f: Flags): string {
  let text: string;
  switch (verb) {
    case "v":
    case "g":
    case "G":
      text = formatFloat(v, verb === "G" ? "G" : "g", f.prec ?? -1, f);
      break;
    case "e":
    case "E":
    case "f":
    case "F":
      text = formatFloat(v, verb, f.prec ?? 6, f);
      break;
    case "x":
    case "X":
      text = signOf(v, f) + hexFloat(v, f.prec ?? -1, verb === "X");
      break;
    case "b":
      text = signOf(v, f) + binaryFloat(v);
      break;
    default:
      return badVerb(verb, v);
  }
  // %#v is Go syntax (sharpV), not the # flag.
  if (f.sharp && verb !== "v" && verb !== "b") text = keepDecimalPoint(text, verb, f.prec ?? -1);
  return pad(text, f, true);
}

function signOf(v: number, f: Flags): string {
  return v < 0 || Object.is(v, -0) ? "-" : f.plus ? "+" : f.space ? " " : "";
}

/** |v| as mant × 2^(exp-52), mant with the implicit leading bit (strconv's float64 decomposition). */
function floatParts(v: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mant = bits & ((1n << 52n) - 1n);
  if (biased !== 0) mant |= 1n << 52n;
  return { mant, exp: (biased === 0 ? 1 : biased) - 1023 };
}

/** strconv's %b: decimal mantissa, binary exponent (4503599627370496p-52 for 1). */
function binaryFloat(v: number): string {
  const { mant, exp } = floatParts(v);
  const e = exp - 52;
  return `${mant}p${e >= 0 ? "+" : ""}${e}`;
}

const UINT64 = (1n << 64n) - 1n;

/** strconv's fmtX: 0x1.8p+01 for 3; `prec` hex digits (rounded half to even), or the fewest (-1). */
function hexFloat(v: number, prec: number, upper: boolean): string {
  let { mant, exp } = floatParts(v);
  if (mant === 0n) exp = 0;
  // Put the leading 1 at bit 60.
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const digit = (): string => {
    const d = Number((mant >> 60n) & 15n).toString(16);
    mant = (mant << 4n) & UINT64;
    return upper ? d.toUpperCase() : d;
  };
  let out = `0${upper ? "X" : "x"}${Number((mant >> 60n) & 1n)}`;
  mant = (mant << 4n) & UINT64;
  if (prec < 0 && mant !== 0n) {
    out += ".";
    while (mant !== 0n) out += digit();
  } else if (prec > 0) {
    out += ".";
    let i = 0;
    for (; i < prec && mant !== 0n; i++) out += digit();
    // The rest are zeros (a long precision must not cost a BigInt shift per digit).
    out += "0".repeat(prec - i);
  }
  return `${out}${upper ? "P" : "p"}${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** The # flag (fmt.fmtFloat): always a decimal point, and %g keeps its trailing zeros. */
function keepDecimalPoint(text: string, verb: string, prec: number): string {
  const sign = /^[+\- ]/.test(text) ? text[0] : "";
  let num = text.slice(sign.length);
  let tail = "";
  // the exponent: p in the hex forms (where e is a digit), e otherwise
  const e = num.search(verb === "x" || verb === "X" ? /[pP]/ : /[eE]/);
  if (e >= 0) {
    tail = num.slice(e);
    num = num.slice(0, e);
  }
  let digits = verb === "g" || verb === "G" || verb === "x" ? (prec === -1 ? 6 : prec) : 0;
  let sawNonzero = false;
  for (const c of num) {
    if (c === ".") continue;
    if (c !== "0") sawNonzero = true;
    if (sawNonzero) digits--;
  }
  if (!num.includes(".")) {
    if (num === "0") digits--;
    num += ".";
  }
  if (digits > 0) num += "0".repeat(digits);
  return sign + num + tail;
}

interface Decimal {
  /** Significant digits, no trailing zeros ("0" for zero). */
  digits: string;
  /** Position of the decimal point: |v| = 0.DIGITS × 10^dp. */
  dp: number;
}

const ZERO: Decimal = { digits: "0", dp: 1 };

/** The exact decimal expansion of |v| (a float64 is m × 2^e, which always has a finite one). */
function exactDecimal(v: number): Decimal {
  const parts = floatParts(v);
  const mant = parts.mant;
  if (mant === 0n) return ZERO;
  const exp = parts.exp - 52;
  // m × 2^-k = m × 5^k / 10^k
  const text = exp >= 0 ? (mant << BigInt(exp)).toString() : (mant * 5n ** BigInt(-exp)).toString();
  return { digits: text.replace(/0+$/, ""), dp: exp >= 0 ? text.length : text.length + exp };
}

/** Rounds to `nd` significant digits like strconv: to nearest, an exact half to even. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd >= d.digits.length) return d;
  if (nd < 0) return ZERO;
  const next = d.digits.charCodeAt(nd) - 48;
  const halfway = next === 5 && nd + 1 === d.digits.length;
  const up = halfway ? nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1 : next >= 5;
  let kept = d.digits.slice(0, nd);
  let dp = d.dp;
  if (up) {
    let i = nd - 1;
    while (i >= 0 && kept[i] === "9") i--;
    if (i < 0) {
      kept = "1";
      dp++;
    } else {
      kept = kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1);
    }
  }
  kept = kept.replace(/0+$/, "");
  return kept ? { digits: kept, dp } : ZERO;
}

/** Digits of |v|: the shortest that read back as v (prec -1), or correctly rounded to `prec` significant digits. */
function decimalDigits(v: number, prec: number): Decimal {
  if (prec >= 0) return roundDecimal(exactDecimal(v), Math.max(prec, 1));
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(v).toExponential());
  if (!m) return ZERO;
  const digits = (m[1] + (m[2] ?? "")).replace(/0+$/, "") || "0";
  return { digits, dp: Number(m[3]) + 1 };
}

function exponentForm(digits: string, dp: number, decimals: number, e: string): string {
  let s = digits[0];
  if (decimals > 0) s += `.${digits.slice(1, decimals + 1).padEnd(decimals, "0")}`;
  const exp = digits === "0" ? 0 : dp - 1;
  return `${s}${e}${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function fixedForm(digits: string, dp: number, decimals: number): string {
  const whole = dp > 0 ? digits.slice(0, dp).padEnd(dp, "0") : "0";
  if (decimals <= 0) return whole;
  const frac = dp >= 0 ? digits.slice(dp) : "0".repeat(-dp) + digits;
  return `${whole}.${frac.slice(0, decimals).padEnd(decimals, "0")}`;
}

/** strconv.FormatFloat plus fmt's sign flags. Verbs: e E f F g G (g with prec -1 is %v). */
export function formatFloat(v: number, verb: string, prec: number, f: Flags): string {
  let body: string;
  if (Number.isNaN(v)) return f.plus ? "+NaN" : f.space ? " NaN" : "NaN";
  if (!Number.isFinite(v)) return v > 0 ? (f.space && !f.plus ? " Inf" : "+Inf") : "-Inf";
  const negative = v < 0 || Object.is(v, -0);
  switch (verb) {
    case "e":
    case "E": {
      const { digits, dp } = decimalDigits(v, prec + 1);
      body = exponentForm(digits, dp, prec, verb);
      break;
    }
    case "f":
    case "F": {
      const exact = exactDecimal(v);
      const { digits, dp } = roundDecimal(exact, exact.dp + prec);
      body = fixedForm(digits, dp, prec);
      break;
    }
    default: {
      const shortest = prec < 0;
      const { digits, dp } = decimalDigits(v, shortest ? -1 : prec === 0 ? 1 : prec);
      let p = shortest ? digits.length : prec === 0 ? 1 : prec;
      let eprec = p;
      if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (v !== 0 && (exp < -4 || exp >= eprec)) {
        if (p > digits.length) p = digits.length;
        body = exponentForm(digits, dp, p - 1, verb === "G" ? "E" : "e");
      } else {
        if (p > dp) p = digits.length;
        body = v === 0 ? "0" : fixedForm(digits, dp, Math.max(p - dp, 0));
      }
    }
  }
  return (negative ? "-" : f.plus ? "+" : f.space ? " " : "") + body;
}

/** strconv.Quote (QuoteToASCII when `ascii`): a double-quoted Go string literal. */
export function quote(s: string, ascii = false): string {
  checkLength(s, s.length + 2); // at least the string and its quotes
  // Printable ASCII without a quote or backslash is its own literal (no rune-by-rune pass over a long string).
  if (!/[^\x20-\x7e]|["\\]/.test(s)) return `"${s}"`;
  const parts: string[] = ['"'];
  for (const ch of s) parts.push(escapeRune(ch, '"', ascii));
  parts.push('"');
  const out = parts.join("");
  checkLength(out);
  return out;
}

/** The first `n` runes (code points) of `s`, without spreading the whole string. */
function firstRunes(s: string, n: number): string {
  let end = 0;
  for (let count = 0; count < n && end < s.length; count++) end += (s.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  return s.slice(0, end);
}

function quoteRune(cp: number, ascii: boolean): string {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  return `'${escapeRune(String.fromCodePoint(cp), "'", ascii)}'`;
}

/** strconv.CanBackquote: no backquote, no control character but tab, no BOM. */
function canBackquote(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[`\x00-\x08\x0a-\x1f\x7f\ufeff]/.test(s);
}

const NAMED: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\" };
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

function escapeRune(ch: string, q: string, ascii = false): string {
  if (ch === q) return `\\${q}`;
  if (ch in NAMED) return NAMED[ch];
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x20 && cp < 0x7f) return ch;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (ascii || (ch !== " " && NON_PRINTABLE.test(ch))) {
    return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  }
  return ch;
}
