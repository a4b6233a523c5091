// Executes a parsed template against data, after text/template/exec.go.
// Departures from Go, all on purpose (see Missing in values.ts):
// - a missing map key is an error when printed or used, false when tested;
// - printing nil (a key whose value is null) is an error instead of `<no value>`.

import type { ArgNode, BranchNode, ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node, PipeNode, TemplateNode, TemplateTree, VariableNode } from "./ast.js";
import { nodeToString } from "./ast.js";
import { TemplateFailure } from "./errors.js";
import { formatValue } from "./format.js";
import { BUILTINS, FunctionError, type Builtin } from "./functions.js";
import { Missing, hasKey, isInt, isMap, isNil, sortedKeys, truth, typeName } from "./values.js";
import { quoted } from "../util/printable.js";

/** Go allows 100000 nested template calls; JavaScript's stack does not. */
export const MAX_TEMPLATE_DEPTH = 1000;

/** A step field never legitimately needs this much: stop runaway templates (nested ranges) early. */
export const MAX_OUTPUT_LENGTH = 64 * 1024 * 1024;
export const MAX_RANGE_ITERATIONS = 10_000_000;
/** Templates calling each other twice per level run 2^depth calls: stop them long before that hangs. */
export const MAX_TEMPLATE_CALLS = 1_000_000;
/**
 * Strings the functions of one render may build in all (kept in variables, they are never printed, so the
 * output limit does not see them): a recursion holding a large printf result per level would exhaust memory.
 */
export const MAX_PRODUCED_LENGTH = 2 * MAX_OUTPUT_LENGTH;
/** Wall time of one render: costly function calls repeated in a range must end with an error, not run for hours. */
export const MAX_RENDER_MS = 30_000;

const enum Signal {
  None,
  Break,
  Continue,
}

/** Marks "no value piped in from the previous command". */
const NO_FINAL: unique symbol = Symbol("no final");
type Final = unknown;

interface Variable {
  name: string;
  value: unknown;
  /** Key path the value came from (`.parameters.list`), or how it was made. */
  path: string;
}

export function execute(tree: TemplateTree, data: unknown): string {
  const state = new State(tree, data);
  state.walk(data, "", tree.root);
  return state.out;
}

/** The key path of a pipeline that is a single field, variable or dot; otherwise its text in parentheses. */
function describePipe(pipe: PipeNode, dotPath: string, vars: Variable[]): string {
  if (pipe.cmds.length === 1 && pipe.cmds[0].args.length === 1) {
    const arg = pipe.cmds[0].args[0];
    if (arg.type === "dot") return dotPath;
    if (arg.type === "field") return dotPath + arg.idents.map((id) => `.${id}`).join("");
    if (arg.type === "variable") {
      const v = lookup(vars, arg.idents[0]);
      if (v) return v.path + arg.idents.slice(1).map((id) => `.${id}`).join("");
    }
  }
  return `(${nodeToString(pipe)})`;
}

function lookup(vars: Variable[], name: string): Variable | undefined {
  for (let i = vars.length - 1; i >= 0; i--) if (vars[i].name === name) return vars[i];
  return undefined;
}

class State {
  out = "";
  private vars: Variable[];
  private depth = 0;
  private iterations = 0;
  private templateCalls = 0;
  /** Characters of the strings function calls returned so far (MAX_PRODUCED_LENGTH). */
  private produced = 0;
  private readonly deadline = Date.now() + MAX_RENDER_MS;
  /** Name of the `define`d template being executed, if not the main body. */
  private executing: string | undefined;

  constructor(
    private readonly tree: TemplateTree,
    data: unknown,
  ) {
    this.vars = [{ name: "$", value: data, path: "" }];
  }

  // ---- errors -----------------------------------------------------------

  private fail(reason: string, node: Node | ArgNode | CommandNode): never {
    let context = nodeToString(node);
    if (context.length > 40) context = `${context.slice(0, 40)}...`;
    throw new TemplateFailure("exec", reason, node.pos, context, this.executing);
  }

  private missing(m: Missing): never {
    throw new TemplateFailure("missing-key", `map has no entry for key ${quoted(m.key)}`, m.pos, m.path, this.executing, m.path);
  }

  // ---- statements -------------------------------------------------------

  walk(dot: unknown, dotPath: string, node: Node): Signal {
    switch (node.type) {
      case "text":
        this.out += node.text;
        return Signal.None;
      case "action": {
        const value = this.evalPipeline(dot, dotPath, node.pipe);
        if (node.pipe.decl.length === 0) this.print(value, node, dotPath);
        return Signal.None;
      }
      case "list":
        return this.walkList(dot, dotPath, node);
      case "if":
      case "with":
        return this.walkIfOrWith(dot, dotPath, node);
      case "range":
        return this.walkRange(dot, dotPath, node);
      case "template":
        this.walkTemplate(dot, dotPath, node);
        return Signal.None;
      case "break":
        return Signal.Break;
      case "continue":
        return Signal.Continue;
    }
  }

  private walkList(dot: unknown, dotPath: string, list: ListNode): Signal {
    for (const n of list.nodes) {
      const signal = this.walk(dot, dotPath, n);
      if (signal !== Signal.None) return signal;
    }
    return Signal.None;
  }

  private print(value: unknown, node: Node & { pipe: PipeNode }, dotPath: string): void {
    if (typeof value === "string") {
      this.append(value, node);
      return;
    }
    if (value instanceof Missing) this.missing(value);
    if (isNil(value)) {
      const path = describePipe(node.pipe, dotPath, this.vars);
      throw new TemplateFailure("missing-key", `${path || "."} is null: nothing to print`, node.pos, nodeToString(node.pipe), this.executing, path || ".");
    }
    if (typeof value === "function") this.fail(`can't print ${nodeToString(node.pipe)} of type func`, node);
    this.append(formatValue(value), node);
  }

  private append(text: string, node: Node): void {
    if (this.out.length + text.length > MAX_OUTPUT_LENGTH) this.fail(`output exceeds ${MAX_OUTPUT_LENGTH} characters`, node);
    this.out += text;
  }

  private walkIfOrWith(dot: unknown, dotPath: string, node: BranchNode): Signal {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, dotPath, node.pipe);
    let signal = Signal.None;
    if (truth(value)) {
      if (node.type === "with") signal = this.walkList(value, describePipe(node.pipe, dotPath, this.vars), node.list);
      else signal = this.walkList(dot, dotPath, node.list);
    } else if (node.elseList) {
      signal = this.walkList(dot, dotPath, node.elseList);
    }
    this.vars.length = mark;
    return signal;
  }

  private walkRange(dot: unknown, dotPath: string, node: BranchNode): Signal {
    const base = this.vars.length;
    const pipe = node.pipe;
    const decl = pipe.decl;
    const value = this.evalCommands(dot, dotPath, pipe);
    if (value instanceof Missing) this.missing(value);
    const path = describePipe({ ...pipe, decl: [] }, dotPath, this.vars);
    // As in Go, declared variables first hold the whole collection (visible in {{else}}),
    // then each iteration sets them: one variable gets the element, two get key and element.
    for (const variable of decl) this.bind(variable, value, path, pipe.isAssign);
    const mark = this.vars.length;
    let ran = false;
    let stop = false;
    const iteration = (key: unknown, elem: unknown, elemPath: string): void => {
      ran = true;
      if (++this.iterations > MAX_RANGE_ITERATIONS) this.fail(`range iterations exceed ${MAX_RANGE_ITERATIONS}`, node);
      if ((this.iterations & 0x3ff) === 0 && Date.now() > this.deadline) this.fail(`rendering took longer than ${MAX_RENDER_MS / 1000}s`, node);
      if (this.out.length > MAX_OUTPUT_LENGTH) this.fail(`output exceeds ${MAX_OUTPUT_LENGTH} characters`, node);
      if (decl.length === 1) this.bind(decl[0], elem, elemPath, true);
      if (decl.length === 2) {
        this.bind(decl[0], key, decl[0].idents[0], true);
        this.bind(decl[1], elem, elemPath, true);
      }
      const signal = this.walkList(elem, elemPath, node.list);
      this.vars.length = mark;
      if (signal === Signal.Break) stop = true;
    };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length && !stop; i++) iteration(i, value[i], `${path}[${i}]`);
    } else if (isMap(value)) {
      for (const key of sortedKeys(value)) {
        if (stop) break;
        iteration(key, value[key], `${path}.${key}`);
      }
    } else if (isInt(value)) {
      if (decl.length > 1) this.fail(`can't use ${value} to iterate over more than one variable`, node);
      for (let i = 0; i < value && !stop; i++) iteration(i, i, String(i));
    } else if (!isNil(value)) {
      this.fail(`range can't iterate over ${formatValue(value)}`, pipe);
    }
    let signal = Signal.None;
    if (!ran && node.elseList) signal = this.walkList(dot, dotPath, node.elseList);
    this.vars.length = base;
    return signal;
  }

  private bind(variable: VariableNode, value: unknown, path: string, isAssign: boolean): void {
    const name = variable.idents[0];
    if (isAssign) {
      const v = lookup(this.vars, name);
      if (!v) this.fail(`undefined variable: ${name}`, variable);
      v.value = value;
      v.path = path;
    } else {
      this.vars.push({ name, value, path });
    }
  }

  private walkTemplate(dot: unknown, dotPath: string, node: TemplateNode): void {
    const body = this.tree.defines.get(node.name);
    if (!body) this.fail(`template ${quoted(node.name)} not defined`, node);
    if (this.depth >= MAX_TEMPLATE_DEPTH) this.fail(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`, node);
    if (++this.templateCalls > MAX_TEMPLATE_CALLS) this.fail(`template calls exceed ${MAX_TEMPLATE_CALLS}`, node);
    if (this.out.length > MAX_OUTPUT_LENGTH) this.fail(`output exceeds ${MAX_OUTPUT_LENGTH} characters`, node);
    const newDot = node.pipe ? this.evalPipeline(dot, dotPath, node.pipe) : null;
    const newPath = node.pipe ? describePipe(node.pipe, dotPath, this.vars) : "";
    const { vars, executing } = this;
    this.vars = [{ name: "$", value: newDot, path: newPath }];
    this.executing = node.name;
    this.depth++;
    try {
      this.walkList(newDot, newPath, body);
    } finally {
      this.depth--;
      this.vars = vars;
      this.executing = executing;
    }
  }

  // ---- expressions ------------------------------------------------------

  private evalCommands(dot: unknown, dotPath: string, pipe: PipeNode): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, dotPath, cmd, value);
    return value;
  }

  private evalPipeline(dot: unknown, dotPath: string, pipe: PipeNode): unknown {
    const value = this.evalCommands(dot, dotPath, pipe);
    if (pipe.decl.length > 0) {
      const path = describePipe({ ...pipe, decl: [] }, dotPath, this.vars);
      for (const variable of pipe.decl) {
        const own = path.startsWith("(") ? variable.idents[0] : path;
        this.bind(variable, value, own, pipe.isAssign);
      }
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) this.fail(`can't give argument to non-function ${nodeToString(args[0])}`, args[0]);
  }

  private evalCommand(dot: unknown, dotPath: string, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case "field":
        return this.evalFieldChain(dot, dotPath, first, first.idents, cmd.args, final);
      case "chain":
        return this.evalChain(dot, dotPath, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, dotPath, first, cmd, cmd.args.slice(1), final);
      case "variable":
        return this.evalVariable(first, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, dotPath, first);
    }
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "dot":
        return dot;
      case "nil":
        return this.fail("nil is not a command", first);
      case "bool":
      case "number":
      case "string":
        return first.value;
    }
  }

  private evalArg(dot: unknown, dotPath: string, arg: ArgNode): unknown {
    switch (arg.type) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "field":
        return this.evalFieldChain(dot, dotPath, arg, arg.idents, [arg], NO_FINAL);
      case "variable":
        return this.evalVariable(arg, [arg], NO_FINAL);
      case "pipe":
        return this.evalPipeline(dot, dotPath, arg);
      case "identifier":
        return this.evalFunction(dot, dotPath, arg, arg, [], NO_FINAL);
      case "chain":
        return this.evalChain(dot, dotPath, arg, [arg], NO_FINAL);
      case "bool":
      case "number":
      case "string":
        return arg.value;
    }
  }

  private evalVariable(node: VariableNode, args: ArgNode[], final: Final): unknown {
    const v = lookup(this.vars, node.idents[0]);
    if (!v) this.fail(`undefined variable: ${node.idents[0]}`, node);
    if (node.idents.length === 1) {
      this.notAFunction(args, final);
      return v.value;
    }
    return this.evalFieldChain(v.value, v.path, node, node.idents.slice(1), args, final);
  }

  private evalChain(dot: unknown, dotPath: string, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    if (chain.node.type === "nil") this.fail(`indirection through explicit nil in ${nodeToString(chain)}`, chain);
    const receiver = this.evalArg(dot, dotPath, chain.node);
    const path = chain.node.type === "pipe" ? `(${nodeToString(chain.node)})` : nodeToString(chain.node);
    return this.evalFieldChain(receiver, path, chain, chain.fields, args, final);
  }

  /** `.a.b.c` on receiver; only the last field may receive arguments (and then fails: maps have no methods). */
  private evalFieldChain(receiver: unknown, basePath: string, node: FieldNode | VariableNode | ChainNode, idents: string[], args: ArgNode[], final: Final): unknown {
    const last = idents.length - 1;
    for (let i = 0; i <= last; i++) {
      if (receiver instanceof Missing) return receiver;
      const name = idents[i];
      if (isMap(receiver)) {
        if (i === last && (args.length > 1 || final !== NO_FINAL)) this.fail(`${name} is not a method but has arguments`, node);
        if (hasKey(receiver, name)) {
          receiver = receiver[name];
          continue;
        }
        const path = basePath + idents.slice(0, i + 1).map((id) => `.${id}`).join("");
        return new Missing(path, name, node.pos);
      }
      if (isNil(receiver)) this.fail(`nil pointer evaluating interface {}.${name}`, node);
      this.fail(`can't evaluate field ${name} in type ${typeName(receiver)}`, node);
    }
    return receiver;
  }

  /** `call` is the whole command (the context Go names for "error calling" failures), or the bare identifier. */
  private evalFunction(dot: unknown, dotPath: string, ident: IdentifierNode, call: CommandNode | IdentifierNode, argNodes: ArgNode[], final: Final): unknown {
    const name = ident.name;
    const fn = BUILTINS.get(name);
    if (!fn) this.fail(`${quoted(name)} is not a defined function`, ident);
    const got = argNodes.length + (final === NO_FINAL ? 0 : 1);
    if (fn.variadic ? got < fn.arity : got !== fn.arity) {
      this.fail(`wrong number of args for ${name}: want ${fn.variadic ? "at least " : ""}${fn.arity} got ${got}`, ident);
    }
    if (!fn.call) {
      // and / or: evaluate left to right, stop at the deciding value and return it.
      const stopOn = name === "or";
      let value: unknown;
      for (const arg of argNodes) {
        value = this.evalBuiltinArg(dot, dotPath, arg, fn, argNodes[0]);
        if (truth(value) === stopOn) return value;
      }
      return final === NO_FINAL ? value : final;
    }
    const values = argNodes.map((arg) => this.evalBuiltinArg(dot, dotPath, arg, fn, argNodes[0]));
    if (final !== NO_FINAL) values.push(final);
    if (name !== "not") for (const v of values) if (v instanceof Missing) this.missing(v);
    let argPaths: string[] = [];
    if (name === "index") argPaths = [argNodes.length > 0 ? this.pathOf(dot, dotPath, argNodes[0]) : "(pipeline)"];
    // Go 1.21+ names the callee as written: "non-function .x of type int".
    if (name === "call") argPaths = [argNodes.length > 0 ? nodeToString(argNodes[0]) : `<${typeName(final)} Value>`];
    if (Date.now() > this.deadline) this.fail(`rendering took longer than ${MAX_RENDER_MS / 1000}s`, call);
    try {
      const result = fn.call(values, { argPaths, pos: ident.pos });
      if (typeof result === "string" && (this.produced += result.length) > MAX_PRODUCED_LENGTH) {
        this.fail(`function results exceed ${MAX_PRODUCED_LENGTH} characters in all`, call);
      }
      return result;
    } catch (err) {
      if (err instanceof FunctionError) {
        if (err.plain) this.fail(err.message, argNodes[0] ?? call);
        this.fail(`error calling ${name}: ${err.message}`, call);
      }
      throw err;
    }
  }

  /** Go passes most builtins' arguments as reflect.Value, which a nil literal cannot be (`{{eq .x nil}}` fails). */
  private evalBuiltinArg(dot: unknown, dotPath: string, arg: ArgNode, fn: Builtin, firstArg: ArgNode | undefined): unknown {
    if (arg.type === "nil") {
      if (!fn.takesAny) this.fail("cannot assign nil to reflect.Value", arg);
      if (fn === BUILTINS.get("printf") && arg === firstArg) this.fail("cannot assign nil to string", arg);
    }
    return this.evalArg(dot, dotPath, arg);
  }

  private pathOf(_dot: unknown, dotPath: string, arg: ArgNode): string {
    return describePipe({ type: "pipe", pos: arg.pos, isAssign: false, decl: [], cmds: [{ type: "command", pos: arg.pos, args: [arg] }] }, dotPath, this.vars);
  }
}
