// Parse tree of a Go text/template, shaped like text/template/parse's nodes.
// Every node keeps `pos`, its offset in the source, for error locations.

import { quoted } from "../util/printable.js";

export interface ListNode {
  type: "list";
  pos: number;
  nodes: Node[];
}

export interface TextNode {
  type: "text";
  pos: number;
  text: string;
}

export interface ActionNode {
  type: "action";
  pos: number;
  pipe: PipeNode;
}

export interface BranchNode {
  type: "if" | "with" | "range";
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}

export interface TemplateNode {
  type: "template";
  pos: number;
  name: string;
  pipe?: PipeNode;
}

export interface LoopControlNode {
  type: "break" | "continue";
  pos: number;
}

export type Node = ListNode | TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

export interface PipeNode {
  type: "pipe";
  pos: number;
  /** `=` rather than `:=`. */
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  type: "command";
  pos: number;
  args: ArgNode[];
}

/** `.a.b`: idents ["a", "b"]. */
export interface FieldNode {
  type: "field";
  pos: number;
  idents: string[];
}

/** `$x.a.b`: idents ["$x", "a", "b"]. */
export interface VariableNode {
  type: "variable";
  pos: number;
  idents: string[];
}

/** `(pipeline).a.b` */
export interface ChainNode {
  type: "chain";
  pos: number;
  node: ArgNode;
  fields: string[];
}

export interface IdentifierNode {
  type: "identifier";
  pos: number;
  name: string;
}

export interface DotNode {
  type: "dot";
  pos: number;
}

export interface NilNode {
  type: "nil";
  pos: number;
}

export interface BoolNode {
  type: "bool";
  pos: number;
  value: boolean;
}

export interface NumberNode {
  type: "number";
  pos: number;
  value: number;
  text: string;
}

export interface StringNode {
  type: "string";
  pos: number;
  value: string;
  /** The literal as written, quotes included. */
  quoted: string;
}

export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;

/** A parsed source: its main body and the templates it `define`s (or `block`s). */
export interface TemplateTree {
  root: ListNode;
  defines: Map<string, ListNode>;
}

/** Renders a node back to template syntax, for `executing "x" at <...>` contexts. */
export function nodeToString(node: Node | ArgNode | CommandNode): string {
  switch (node.type) {
    case "list":
      return node.nodes.map(nodeToString).join("");
    case "text":
      return node.text;
    case "action":
      return `{{${nodeToString(node.pipe)}}}`;
    case "if":
    case "with":
    case "range":
      return `{{${node.type} ${nodeToString(node.pipe)}}}${nodeToString(node.list)}${node.elseList ? `{{else}}${nodeToString(node.elseList)}` : ""}{{end}}`;
    case "template":
      return `{{template ${quoted(node.name)}${node.pipe ? ` ${nodeToString(node.pipe)}` : ""}}}`;
    case "break":
    case "continue":
      return `{{${node.type}}}`;
    case "pipe": {
      const decl = node.decl.length ? `${node.decl.map(nodeToString).join(", ")} ${node.isAssign ? "=" : ":="} ` : "";
      return decl + node.cmds.map(nodeToString).join(" | ");
    }
    case "command":
      return node.args.map((arg) => (arg.type === "pipe" ? `(${nodeToString(arg)})` : nodeToString(arg))).join(" ");
    case "field":
      return node.idents.map((id) => `.${id}`).join("");
    case "variable":
      return node.idents.join(".");
    case "chain": {
      const inner = node.node.type === "pipe" ? `(${nodeToString(node.node)})` : nodeToString(node.node);
      return inner + node.fields.map((f) => `.${f}`).join("");
    }
    case "identifier":
      return node.name;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(node.value);
    case "number":
      return node.text;
    case "string":
      return node.quoted;
  }
}
