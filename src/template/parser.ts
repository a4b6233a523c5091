// Parser for Go text/template, after text/template/parse/parse.go: the same
// grammar, scoping of variables and error texts. Pure: source in, tree out.

import type { ArgNode, BranchNode, CommandNode, ListNode, Node, PipeNode, TemplateNode, TemplateTree, VariableNode } from "./ast.js";
import { nodeToString } from "./ast.js";
import { TemplateFailure } from "./errors.js";
import { isBuiltinFunction } from "./functions.js";
import { lex, type Token, type TokenType } from "./lexer.js";
import { parseCharConstant, parseNumber, unquoteString } from "./literals.js";
import { quoted } from "../util/printable.js";

/** `{{end}}` / `{{else}}` as returned by itemList to the enclosing control. */
interface Marker {
  type: "end" | "else";
  pos: number;
}

const OPERAND_START = new Set<TokenType>(["bool", "charConstant", "dot", "field", "identifier", "number", "nil", "rawString", "string", "variable", "leftParen"]);

export function parse(source: string): TemplateTree {
  return new Parser(source).parseTemplate();
}

function fail(reason: string, pos: number): never {
  throw new TemplateFailure("parse", reason, pos);
}

function tokenString(token: Token): string {
  switch (token.type) {
    case "eof":
      return "EOF";
    case "error":
      return token.val;
    case "keyword":
    case "dot":
    case "nil":
      return `<${token.val}>`;
  }
  const chars = [...token.val];
  return chars.length > 10 ? `${quoted(chars.slice(0, 10).join(""))}...` : quoted(token.val);
}

function isMarker(n: Node | Marker): n is Marker {
  return n.type === "end" || n.type === "else";
}

function markerString(marker: Marker): string {
  return `{{${marker.type}}}`;
}

function isEmptyList(list: ListNode): boolean {
  return list.nodes.every((n) => (n.type === "text" ? n.text.trim() === "" : n.type === "list" && isEmptyList(n)));
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private readonly defines = new Map<string, ListNode>();

  constructor(source: string) {
    this.tokens = lex(source);
  }

  parseTemplate(): TemplateTree {
    const root: ListNode = { type: "list", pos: 0, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const save = this.index;
        this.next();
        const word = this.nextNonSpace();
        if (word.type === "keyword" && word.val === "define") {
          this.parseDefinition(word.pos);
          continue;
        }
        this.index = save;
      }
      const n = this.textOrAction();
      if (isMarker(n)) fail(`unexpected ${markerString(n)}`, n.pos);
      root.nodes.push(n);
    }
    return { root, defines: this.defines };
  }

  // ---- token navigation -------------------------------------------------

  private next(): Token {
    const token = this.tokens[this.index];
    if (token.type === "error") fail(token.val, token.pos);
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private peek(): Token {
    const token = this.tokens[this.index];
    if (token.type === "error") fail(token.val, token.pos);
    return token;
  }

  private backup(): void {
    this.index--;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.type === "space") token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  private expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Token, context: string): never {
    if (token.type === "error") fail(token.val, token.pos);
    fail(`unexpected ${tokenString(token)} in ${context}`, token.pos);
  }

  // ---- structure --------------------------------------------------------

  private parseDefinition(pos: number): void {
    const context = "define clause";
    const nameToken = this.nextNonSpace();
    if (nameToken.type !== "string" && nameToken.type !== "rawString") this.unexpected(nameToken, context);
    const name = this.unquote(nameToken);
    this.expect("rightDelim", context);
    const { list } = this.withFreshScope(() => this.itemListToEnd(context, pos));
    this.addDefine(name, list, pos);
  }

  private withFreshScope<T>(body: () => T): T {
    const vars = this.vars;
    const rangeDepth = this.rangeDepth;
    this.vars = ["$"];
    this.rangeDepth = 0;
    try {
      return body();
    } finally {
      this.vars = vars;
      this.rangeDepth = rangeDepth;
    }
  }

  private addDefine(name: string, list: ListNode, pos: number): void {
    const existing = this.defines.get(name);
    if (existing && !isEmptyList(existing)) {
      if (!isEmptyList(list)) fail(`multiple definition of template ${quoted(name)}`, pos);
      return;
    }
    this.defines.set(name, list);
  }

  /** Items up to a matching {{end}} or {{else}}; EOF first is an error naming the unclosed construct. */
  private itemList(context: string, openPos: number): { list: ListNode; end: Marker } {
    const list: ListNode = { type: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const n = this.textOrAction();
      if (isMarker(n)) return { list, end: n };
      list.nodes.push(n);
    }
    fail(`unexpected EOF: ${context} has no matching {{end}}`, openPos);
  }

  private itemListToEnd(context: string, openPos: number): { list: ListNode } {
    const { list, end } = this.itemList(context, openPos);
    if (end.type !== "end") fail(`unexpected ${markerString(end)} in ${context}`, end.pos);
    return { list };
  }

  private textOrAction(): Node | Marker {
    const token = this.nextNonSpace();
    if (token.type === "text") return { type: "text", pos: token.pos, text: token.val };
    if (token.type === "leftDelim") return this.action();
    this.unexpected(token, "input");
  }

  private action(): Node | Marker {
    const token = this.nextNonSpace();
    if (token.type === "keyword") {
      switch (token.val) {
        case "block":
          return this.blockControl(token.pos);
        case "break":
        case "continue":
          return this.loopControl(token);
        case "else":
          return this.elseControl(token.pos);
        case "end":
          this.expect("rightDelim", "end");
          return { type: "end", pos: token.pos };
        case "if":
        case "range":
        case "with":
          return this.branchControl(token.val, token.pos);
        case "template":
          return this.templateControl();
      }
    }
    this.backup();
    const pos = this.peek().pos;
    return { type: "action", pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(token: Token): Node {
    const kind = token.val as "break" | "continue";
    const close = this.nextNonSpace();
    if (close.type !== "rightDelim") this.unexpected(close, `{{${kind}}}`);
    if (this.rangeDepth === 0) fail(`{{${kind}}} outside {{range}}`, token.pos);
    return { type: kind, pos: token.pos };
  }

  private elseControl(pos: number): Marker {
    const peek = this.peekNonSpace();
    // "else if" / "else with": leave the keyword for the enclosing control.
    if (peek.type === "keyword" && (peek.val === "if" || peek.val === "with")) return { type: "else", pos: peek.pos };
    this.expect("rightDelim", "else");
    return { type: "else", pos };
  }

  private branchControl(kind: "if" | "range" | "with", openPos: number): BranchNode {
    const varsLength = this.vars.length;
    const pipe = this.pipeline(kind, "rightDelim");
    if (kind === "range") this.rangeDepth++;
    const { list, end } = this.itemList(`{{${kind}}}`, openPos);
    if (kind === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.type === "else") {
      const peek = this.peek();
      if (kind !== "range" && peek.type === "keyword" && peek.val === kind) {
        // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
        this.next();
        elseList = { type: "list", pos: end.pos, nodes: [this.branchControl(kind, peek.pos)] };
      } else {
        const rest = this.itemList(`{{${kind}}}`, openPos);
        if (rest.end.type !== "end") fail(`expected end; found ${markerString(rest.end)}`, rest.end.pos);
        elseList = rest.list;
      }
    }
    this.vars.length = varsLength;
    return { type: kind, pos: pipe.pos, pipe, list, elseList };
  }

  private templateName(token: Token, context: string): string {
    if (token.type !== "string" && token.type !== "rawString") this.unexpected(token, context);
    return this.unquote(token);
  }

  private templateControl(): TemplateNode {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== "rightDelim") {
      this.backup();
      pipe = this.pipeline(context, "rightDelim");
    }
    return { type: "template", pos: token.pos, name, pipe };
  }

  private blockControl(pos: number): TemplateNode {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, "rightDelim");
    const { list } = this.withFreshScope(() => this.itemListToEnd(context, pos));
    this.addDefine(name, list, pos);
    return { type: "template", pos: token.pos, name, pipe };
  }

  // ---- pipelines --------------------------------------------------------

  private pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const pipe: PipeNode = { type: "pipe", pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    let afterPipe: Token | undefined;
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        if (pipe.cmds.length === 0) fail(`missing value for ${context}`, token.pos);
        if (afterPipe) fail("missing command after |", afterPipe.pos);
        pipe.cmds.forEach((cmd, i) => {
          if (i > 0 && ["bool", "dot", "nil", "number", "string"].includes(cmd.args[0].type)) {
            fail(`non executable command in pipeline stage ${i + 1}`, cmd.pos);
          }
        });
        return pipe;
      }
      if (!OPERAND_START.has(token.type)) this.unexpected(token, context);
      this.backup();
      const { cmd, endedWithPipe } = this.command();
      pipe.cmds.push(cmd);
      afterPipe = endedWithPipe;
    }
  }

  /** `$x :=`, `$x =`, and range's `$i, $v :=` at the start of a pipeline. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") return;
      const save = this.index;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      const variable: VariableNode = { type: "variable", pos: v.pos, idents: [v.val] };
      if (after.type === "assign" || after.type === "declare") {
        this.nextNonSpace();
        pipe.isAssign = after.type === "assign";
        if (pipe.isAssign && !this.vars.includes(v.val)) fail(`undefined variable ${quoted(v.val)}`, v.pos);
        pipe.decl.push(variable);
        if (!pipe.isAssign) this.vars.push(v.val);
        return;
      }
      if (after.type === "char" && after.val === ",") {
        this.nextNonSpace();
        pipe.decl.push(variable);
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const following = this.peekNonSpace().type;
          if (following === "variable" || following === "rightDelim" || following === "rightParen") continue;
          fail("range can only initialize variables", after.pos);
        }
        fail(`too many declarations in ${context}`, after.pos);
      }
      this.index = save;
      return;
    }
  }

  private command(): { cmd: CommandNode; endedWithPipe?: Token } {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === "space") continue;
      if (token.type === "rightDelim" || token.type === "rightParen") {
        this.backup();
      } else if (token.type === "pipe") {
        if (cmd.args.length === 0) fail("missing value for command", token.pos);
        return { cmd, endedWithPipe: token };
      } else {
        this.unexpected(token, "operand");
      }
      break;
    }
    if (cmd.args.length === 0) fail("empty command", cmd.pos);
    return { cmd };
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    switch (node.type) {
      case "field":
        return { type: "field", pos: node.pos, idents: [...node.idents, ...fields] };
      case "variable":
        return { type: "variable", pos: node.pos, idents: [...node.idents, ...fields] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        fail(`unexpected . after term ${quoted(nodeToString(node))}`, pos);
    }
    return { type: "chain", pos: node.pos, node, fields };
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "identifier":
        if (!isBuiltinFunction(token.val)) fail(`function ${quoted(token.val)} not defined`, token.pos);
        return { type: "identifier", pos: token.pos, name: token.val };
      case "dot":
        return { type: "dot", pos: token.pos };
      case "nil":
        return { type: "nil", pos: token.pos };
      case "variable":
        if (!this.vars.includes(token.val)) fail(`undefined variable ${quoted(token.val)}`, token.pos);
        return { type: "variable", pos: token.pos, idents: [token.val] };
      case "field":
        return { type: "field", pos: token.pos, idents: [token.val.slice(1)] };
      case "bool":
        return { type: "bool", pos: token.pos, value: token.val === "true" };
      case "charConstant": {
        const value = parseCharConstant(token.val);
        if (value === undefined) fail(`malformed character constant: ${token.val}`, token.pos);
        return { type: "number", pos: token.pos, value, text: token.val };
      }
      case "number": {
        const parsed = parseNumber(token.val);
        if ("error" in parsed) fail(parsed.error, token.pos);
        return { type: "number", pos: token.pos, value: parsed.value, text: token.val };
      }
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString":
        return { type: "string", pos: token.pos, value: this.unquote(token), quoted: token.val };
    }
    this.backup();
    return undefined;
  }

  private unquote(token: Token): string {
    const value = unquoteString(token.val);
    if (value === undefined) fail(`invalid syntax in string literal ${token.val}`, token.pos);
    return value;
  }
}
