// Lexer for Go text/template source, following Go's text/template/parse/lex.go
// (Go 1.22+: multi-line actions, trim markers, break/continue keywords).
//
// One addition: GitHub Actions expressions pass through as plain text. A `{{`
// immediately preceded by `$` does not open an action; the text runs on to the
// first `}}` that is not inside a single-quoted GitHub string literal ('...',
// with '' as the escaped quote). Without such a `}}` the rest of the source is
// text. So `echo ${{ github.sha }} {{ .x }}` renders only `{{ .x }}`.

import { quoted } from "../util/printable.js";

export type TokenType =
  | "text"
  | "leftDelim"
  | "rightDelim"
  | "space"
  | "field"
  | "variable"
  | "identifier"
  | "keyword"
  | "dot"
  | "string"
  | "rawString"
  | "number"
  | "charConstant"
  | "bool"
  | "nil"
  | "assign"
  | "declare"
  | "pipe"
  | "leftParen"
  | "rightParen"
  | "char"
  | "eof"
  | "error";

export interface Token {
  type: TokenType;
  /** Offset of the token in the source (UTF-16 code units). */
  pos: number;
  val: string;
}

export const KEYWORDS = new Set(["block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"]);

const LEFT = "{{";
const RIGHT = "}}";

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

const ALNUM = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return true;
  return c >= 128 && ALNUM.test(ch);
}

function hasLeftTrimMarker(src: string, at: number): boolean {
  return src[at] === "-" && isSpace(src[at + 1]);
}

function hasRightTrimMarker(src: string, at: number): boolean {
  return isSpace(src[at]) && src[at + 1] === "-";
}

/** Index just past the `}}` closing a GitHub expression whose `{{` ends at `from`, or -1. */
function endOfGithubExpression(src: string, from: number): number {
  let inString = false;
  for (let i = from; i < src.length; i++) {
    const ch = src[i];
    if (inString) {
      if (ch === "'") {
        if (src[i + 1] === "'") i++;
        else inString = false;
      }
    } else if (ch === "'") {
      inString = true;
    } else if (ch === "}" && src[i + 1] === "}") {
      return i + 2;
    }
  }
  return -1;
}

/** Tokenizes the whole source. Stops at the first lexical error, which becomes an `error` token. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;

  const emit = (type: TokenType, start: number, end: number): void => {
    tokens.push({ type, pos: start, val: src.slice(start, end) });
  };
  const fail = (message: string, at: number): Token[] => {
    tokens.push({ type: "error", pos: at, val: message });
    return tokens;
  };

  while (pos <= src.length) {
    // Text up to the next action.
    let start = pos;
    let delim = -1;
    let search = pos;
    for (;;) {
      const i = src.indexOf(LEFT, search);
      if (i < 0) break;
      if (i > 0 && src[i - 1] === "$") {
        const end = endOfGithubExpression(src, i + 2);
        if (end < 0) break;
        search = end;
        continue;
      }
      delim = i;
      break;
    }
    if (delim < 0) {
      if (src.length > start) emit("text", start, src.length);
      tokens.push({ type: "eof", pos: src.length, val: "" });
      return tokens;
    }
    const trimLeft = hasLeftTrimMarker(src, delim + 2);
    let textEnd = delim;
    if (trimLeft) while (textEnd > start && isSpace(src[textEnd - 1])) textEnd--;
    if (textEnd > start) emit("text", start, textEnd);

    // The action (or comment).
    const actionStart = delim;
    pos = delim + 2 + (trimLeft ? 2 : 0);
    if (src.startsWith("/*", pos)) {
      const close = src.indexOf("*/", pos + 2);
      if (close < 0) return fail("unclosed comment", actionStart);
      pos = close + 2;
      let trimRight = false;
      if (hasRightTrimMarker(src, pos) && src.startsWith(RIGHT, pos + 2)) {
        trimRight = true;
        pos += 2;
      } else if (!src.startsWith(RIGHT, pos)) {
        return fail("comment ends before closing delimiter", actionStart);
      }
      pos += 2;
      if (trimRight) while (pos < src.length && isSpace(src[pos])) pos++;
      continue;
    }
    emit("leftDelim", actionStart, actionStart + 2);
    let parenDepth = 0;
    for (;;) {
      // At the right delimiter (possibly with a trim marker " -}}")?
      const trimRight = hasRightTrimMarker(src, pos) && src.startsWith(RIGHT, pos + 2);
      if (trimRight || src.startsWith(RIGHT, pos)) {
        if (parenDepth > 0) return fail("unclosed left paren", pos);
        if (trimRight) pos += 2;
        emit("rightDelim", pos, pos + 2);
        pos += 2;
        if (trimRight) while (pos < src.length && isSpace(src[pos])) pos++;
        break;
      }
      if (pos >= src.length) return fail("unclosed action", actionStart);
      const ch = src[pos];
      start = pos;
      if (isSpace(ch)) {
        while (pos < src.length && isSpace(src[pos])) pos++;
        // A run of spaces may end in " -}}": leave that space for the delimiter.
        if (src[pos] === "-" && src.startsWith(RIGHT, pos + 1)) {
          pos--;
          if (pos === start) continue;
        }
        emit("space", start, pos);
        continue;
      }
      pos++;
      switch (ch) {
        case "=":
          emit("assign", start, pos);
          continue;
        case ":":
          if (src[pos] !== "=") return fail("expected :=", start);
          pos++;
          emit("declare", start, pos);
          continue;
        case "|":
          emit("pipe", start, pos);
          continue;
        case '"': {
          for (;;) {
            const c = src[pos++];
            if (c === "\\") {
              const n = src[pos++];
              if (n !== undefined && n !== "\n") continue;
              return fail("unterminated quoted string", start);
            }
            if (c === undefined || c === "\n") return fail("unterminated quoted string", start);
            if (c === '"') break;
          }
          emit("string", start, pos);
          continue;
        }
        case "`": {
          const close = src.indexOf("`", pos);
          if (close < 0) return fail("unterminated raw quoted string", start);
          pos = close + 1;
          emit("rawString", start, pos);
          continue;
        }
        case "'": {
          for (;;) {
            const c = src[pos++];
            if (c === "\\") {
              const n = src[pos++];
              if (n !== undefined && n !== "\n") continue;
              return fail("unterminated character constant", start);
            }
            if (c === undefined || c === "\n") return fail("unterminated character constant", start);
            if (c === "'") break;
          }
          emit("charConstant", start, pos);
          continue;
        }
        case "$":
        case ".": {
          if (ch === "." && src[pos] !== undefined && src[pos] >= "0" && src[pos] <= "9") {
            pos = start;
            const err = lexNumber();
            if (err) return fail(err, start);
            continue;
          }
          if (atTerminator()) {
            emit(ch === "$" ? "variable" : "dot", start, pos);
            continue;
          }
          pos = endOfWord(pos);
          if (!atTerminator()) return fail(`bad character ${unicodeName(src.codePointAt(pos) ?? 0)}`, start);
          emit(ch === "$" ? "variable" : "field", start, pos);
          continue;
        }
        case "(":
          parenDepth++;
          emit("leftParen", start, pos);
          continue;
        case ")":
          parenDepth--;
          if (parenDepth < 0) return fail("unexpected right paren", start);
          emit("rightParen", start, pos);
          continue;
      }
      if (ch === "+" || ch === "-" || (ch >= "0" && ch <= "9")) {
        pos = start;
        const err = lexNumber();
        if (err) return fail(err, start);
        continue;
      }
      if (isAlphaNumeric(ch) || (ch >= "\ud800" && ch <= "\udbff" && isAlphaNumeric(String.fromCodePoint(src.codePointAt(start) ?? 0)))) {
        pos = endOfWord(start);
        const word = src.slice(start, pos);
        if (!atTerminator()) return fail(`bad character ${unicodeName(src.codePointAt(pos) ?? 0)}`, pos);
        if (KEYWORDS.has(word)) emit("keyword", start, pos);
        else if (word === "true" || word === "false") emit("bool", start, pos);
        else if (word === "nil") emit("nil", start, pos);
        else emit("identifier", start, pos);
        continue;
      }
      const code = ch.charCodeAt(0);
      if (code >= 0x20 && code < 0x7f) {
        emit("char", start, pos);
        continue;
      }
      return fail(`unrecognized character in action: ${unicodeName(src.codePointAt(start) ?? 0)}`, start);
    }
  }
  return tokens;

  /** End of the letters, digits and underscores at `from`, by code point (a letter may lie outside the BMP). */
  function endOfWord(from: number): number {
    let at = from;
    while (at < src.length) {
      const c = src.charCodeAt(at);
      if (c < 128) {
        if (!isAlphaNumeric(src[at])) break;
        at++;
        continue;
      }
      const ch = String.fromCodePoint(src.codePointAt(at) ?? 0);
      if (!isAlphaNumeric(ch)) break;
      at += ch.length;
    }
    return at;
  }

  function atTerminator(): boolean {
    const ch = src[pos];
    if (ch === undefined || isSpace(ch)) return true;
    switch (ch) {
      case ".":
      case ",":
      case "|":
      case ":":
      case ")":
      case "(":
        return true;
    }
    return ch === "}";
  }

  // Scans a number at pos like Go's scanNumber; emits it or returns an error message.
  function lexNumber(): string | undefined {
    const start = pos;
    if (src[pos] === "+" || src[pos] === "-") pos++;
    let digits = "0123456789_";
    if (src[pos] === "0") {
      pos++;
      const p = src[pos];
      if (p === "x" || p === "X") {
        pos++;
        digits = "0123456789abcdefABCDEF_";
      } else if (p === "o" || p === "O") {
        pos++;
        digits = "01234567_";
      } else if (p === "b" || p === "B") {
        pos++;
        digits = "01_";
      }
    }
    const run = (set: string): void => {
      while (pos < src.length && set.includes(src[pos])) pos++;
    };
    run(digits);
    if (src[pos] === ".") {
      pos++;
      run(digits);
    }
    if (digits.length === 11 && (src[pos] === "e" || src[pos] === "E")) {
      pos++;
      if (src[pos] === "+" || src[pos] === "-") pos++;
      run("0123456789_");
    }
    if (digits.length === 23 && (src[pos] === "p" || src[pos] === "P")) {
      pos++;
      if (src[pos] === "+" || src[pos] === "-") pos++;
      run("0123456789_");
    }
    if (src[pos] === "i") pos++;
    // Complex constants (1+2i) are not supported: a sign right after a number is an error.
    if (isAlphaNumeric(src[pos]) || src[pos] === "+" || src[pos] === "-") {
      pos++;
      return `bad number syntax: ${quoted(src.slice(start, pos))}`;
    }
    emit("number", start, pos);
    return undefined;
  }
}

function unicodeName(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return `U+${hex} '${String.fromCodePoint(cp)}'`;
}
