// `${{ }}` expressions, evaluated with @actions/expressions (the parser and
// evaluator GitHub ships). This module knows the syntax only: which contexts
// exist and what the status functions return is supplied by the caller.
import { Evaluator, Lexer, Parser, data } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { truthy } from "@actions/expressions/result";

export type ContextValue = string | number | boolean | null | undefined | ContextValue[] | { [key: string]: ContextValue };

export interface ExpressionScope {
  /** Context name → plain JSON-like value (github, env, steps, …). */
  contexts: Record<string, ContextValue>;
  /**
   * Job/step status for success() / failure() / cancelled(). `success` overrides `!failed && !cancelled`:
   * inside a composite action GitHub's success() is the action's own status, whatever the job's.
   */
  status: { failed: boolean; cancelled: boolean; success?: boolean };
  /** Extra functions, e.g. hashFiles. Keys are lower-case names. */
  functions?: Map<string, FunctionDefinition>;
}

export class ExpressionFailure extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
    /** How the expression is shown: `${{ expression }}` unless the text itself was broken (an unclosed `${{`). */
    shown = `\${{ ${expression} }}`,
    /** Where an unclosed `${{` starts in the text (the text before it may hold more expressions). */
    readonly offset?: number,
  ) {
    super(`invalid expression ${shown}: ${reason}`);
    this.name = "ExpressionFailure";
  }
}

const STATUS_FUNCTIONS = ["success", "failure", "always", "cancelled"];

/**
 * Contexts whose keys are case-sensitive. GitHub's runner builds the `env` context as a
 * CaseSensitiveDictionaryContextData except on Windows (StepsRunner), as the variables themselves are: with
 * only `FOO` set, `${{ env.foo }}` is empty, and `Foo` and `FOO` are two variables. Every other context is
 * case-insensitive.
 */
const CASE_SENSITIVE_CONTEXTS: ReadonlySet<string> = new Set(process.platform === "win32" ? [] : ["env"]);

/**
 * A context object for the evaluator, keyed through a Map: the library's Dictionary keys a plain object, so a
 * key such as `constructor` or `__proto__` (an env variable, a step id, an input) was found on Object's
 * prototype and lost, and a second key differing only in case was dropped.
 */
class ContextDictionary extends data.Dictionary {
  private readonly index = new Map<string, { key: string; value: data.ExpressionData }>();
  constructor(private readonly caseSensitive: boolean) {
    super();
  }
  private fold(key: string): string {
    return this.caseSensitive ? key : key.toLowerCase();
  }
  override add(key: string, value: data.ExpressionData): void {
    const folded = this.fold(key);
    if (!this.index.has(folded)) this.index.set(folded, { key, value });
  }
  override get(key: string): data.ExpressionData | undefined {
    return this.index.get(this.fold(key))?.value;
  }
  override values(): data.ExpressionData[] {
    return [...this.index.values()].map((entry) => entry.value);
  }
  override pairs(): { key: string; value: data.ExpressionData }[] {
    return [...this.index.values()].map(({ key, value }) => ({ key, value }));
  }
}

export function toExpressionData(value: ContextValue, caseSensitive = false): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === "string") return new data.StringData(value);
  if (typeof value === "number") return new data.NumberData(value);
  if (typeof value === "boolean") return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map((v) => toExpressionData(v)));
  const dict = new ContextDictionary(caseSensitive);
  for (const [key, v] of Object.entries(value)) dict.add(key, toExpressionData(v));
  return dict;
}

function statusFunctions(status: ExpressionScope["status"]): FunctionDefinition[] {
  const fn = (name: string, result: () => boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(result()),
  });
  return [
    fn("success", () => status.success ?? (!status.failed && !status.cancelled)),
    fn("failure", () => status.failed),
    fn("always", () => true),
    fn("cancelled", () => status.cancelled),
  ];
}

/** Evaluates one expression (without the `${{ }}` wrapper). */
export function evaluate(expression: string, scope: ExpressionScope): data.ExpressionData {
  const functions = new Map<string, FunctionDefinition>(scope.functions);
  for (const f of statusFunctions(scope.status)) functions.set(f.name, f);
  try {
    const tokens = new Lexer(expression).lex().tokens;
    const parser = new Parser(tokens, Object.keys(scope.contexts), [...functions.values()]);
    const expr = parser.parse();
    const context = new data.Dictionary(...Object.entries(scope.contexts).map(([key, v]) => ({ key, value: toExpressionData(v, CASE_SENSITIVE_CONTEXTS.has(key)) })));
    return new Evaluator(expr, context, functions).evaluate();
  } catch (err) {
    throw new ExpressionFailure(expression.trim(), err instanceof Error ? err.message : String(err));
  }
}

/**
 * A number as GitHub's runner writes it in text (.NET's "G15", the same as Go's %.15G): at most 15
 * significant digits, and scientific notation below 1E-04 or from 1E+15 on (`1E-05`, `1.23456789012346E+17`).
 * The library wrote JavaScript's form (`0.00001`, `123456789012345680`, `1e+21`).
 */
export function formatNumber(value: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0" : "0"; // .NET Core 3.0+ and Go keep the sign of zero
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  const [mantissa = "", exponentText = "0"] = value.toExponential(14).split("e");
  const exponent = Number(exponentText);
  const trim = (digits: string): string => (digits.includes(".") ? digits.replace(/0+$/, "").replace(/\.$/, "") : digits);
  if (exponent < -4 || exponent >= 15) {
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${trim(mantissa)}E${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  return trim(value.toFixed(Math.max(0, 14 - exponent)));
}

// Every number the evaluator turns into text — a result, format()'s and join()'s arguments, contains(),
// startsWith() and endsWith() — goes through NumberData.coerceString.
data.NumberData.prototype.coerceString = function (this: data.NumberData): string {
  return formatNumber(this.value);
};

/** String form used when an expression result lands in text (objects and arrays as JSON). */
export function stringify(value: data.ExpressionData): string {
  if (value.kind === data.Kind.Null) return "";
  if (value.kind === data.Kind.Array || value.kind === data.Kind.Dictionary) return JSON.stringify(value, data.replacer);
  return value.coerceString();
}

interface Segment {
  literal?: string;
  expression?: string;
}

/** Splits text into literal parts and `${{ … }}` expressions; quotes inside expressions may hold `}}`. */
export function splitTemplate(text: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  while (pos < text.length) {
    const start = text.indexOf("${{", pos);
    if (start < 0) break;
    let i = start + 3;
    let inString = false;
    let end = -1;
    while (i < text.length) {
      const ch = text[i];
      if (inString) {
        if (ch === "'") {
          if (text[i + 1] === "'") i++;
          else inString = false;
        }
      } else if (ch === "'") {
        inString = true;
      } else if (ch === "}" && text[i + 1] === "}") {
        end = i;
        break;
      }
      i++;
    }
    if (end < 0) throw new ExpressionFailure(text.slice(start + 3).trim(), "no closing }}", JSON.stringify(text.slice(start)), start);
    if (start > pos) segments.push({ literal: text.slice(pos, start) });
    segments.push({ expression: text.slice(start + 3, end) });
    pos = end + 2;
  }
  if (pos < text.length) segments.push({ literal: text.slice(pos) });
  return segments;
}

export function hasExpression(text: string): boolean {
  return text.includes("${{");
}

/** Replaces every `${{ expr }}` in text with its string value. */
export function interpolate(text: string, scope: ExpressionScope): string {
  if (!hasExpression(text)) return text;
  return splitTemplate(text)
    .map((s) => (s.expression === undefined ? s.literal ?? "" : stringify(evaluate(s.expression, scope))))
    .join("");
}

/**
 * Evaluates an `if:` condition the way GitHub does: an optional `${{ }}`
 * wrapper, and an implicit `success() &&` unless a status function is used.
 */
export function evaluateCondition(condition: unknown, scope: ExpressionScope, defaultCheck = "success()"): boolean {
  if (condition === undefined || condition === null) return evaluateCondition(defaultCheck, scope, defaultCheck);
  if (typeof condition === "boolean") return condition;
  // A number (a plan written as JSON: `"if": 0`) is the expression YAML would have read as text.
  if (typeof condition === "number") condition = String(condition);
  if (typeof condition !== "string") throw new Error(`if: must be an expression (text) or true/false, got ${Array.isArray(condition) ? "a list" : typeof condition === "object" ? "a mapping" : `a ${typeof condition}`}`);
  let expr = condition.trim();
  if (expr === "") expr = defaultCheck;
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(expr);
  if (whole && splitTemplate(expr).length === 1) expr = whole[1].trim();
  else if (hasExpression(expr)) expr = `'${interpolate(expr, scope).replace(/'/g, "''")}'`;
  const written = expr;
  if (!usesStatusFunction(expr)) expr = `${defaultCheck} && (${expr})`;
  try {
    return truthy(evaluate(expr, scope));
  } catch (err) {
    if (!(err instanceof ExpressionFailure) || expr === written) throw err;
    // Reported as written, without the implicit `success() && (…)` around it (whose parse error points at its `)`).
    try {
      evaluate(written, scope);
    } catch (own) {
      if (own instanceof ExpressionFailure) throw own;
    }
    throw new ExpressionFailure(written, err.reason);
  }
}

/**
 * Does an `if:` call a status function (`always()`, `failure()`, …)? Such a
 * step is still considered after a failure; any other waits on an implicit `success()`.
 */
export function conditionChecksStatus(condition: string | boolean | undefined): boolean {
  if (typeof condition !== "string") return false;
  const text = condition.trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  try {
    if (whole && splitTemplate(text).length === 1) return usesStatusFunction(whole[1]!);
  } catch {
    return false;
  }
  return !hasExpression(text) && usesStatusFunction(text);
}

function usesStatusFunction(expression: string): boolean {
  try {
    const tokens = new Lexer(expression).lex().tokens;
    return tokens.some((t, i) => STATUS_FUNCTIONS.includes(t.lexeme.toLowerCase()) && tokens[i + 1]?.lexeme === "(");
  } catch {
    return false;
  }
}

/** The contexts every expression is given (step-runner.ts expressionScope), for checking one before it runs. */
const SCOPE_CONTEXTS = ["github", "env", "inputs", "steps", "runner", "job", "secrets", "vars", "needs", "matrix", "strategy"];
const declared = (name: string, minArgs: number, maxArgs: number): FunctionDefinition => ({ name, minArgs, maxArgs, call: () => new data.Null() });
const SCOPE_FUNCTIONS = [...STATUS_FUNCTIONS.map((name) => declared(name, 0, 0)), declared("hashFiles", 1, 255)];

function checkSyntax(expression: string): void {
  if (expression.trim() === "") throw new ExpressionFailure("", "empty expression (GitHub refuses it: An expression was expected)", `\${{${expression}}}`);
  try {
    new Parser(new Lexer(expression).lex().tokens, SCOPE_CONTEXTS, SCOPE_FUNCTIONS).parse();
  } catch (err) {
    throw new ExpressionFailure(expression.trim(), err instanceof Error ? err.message : String(err));
  }
}

/**
 * `invalid expression …: <reason>` when an `if:` would not parse where evaluateCondition reads it (a whole
 * `${{ }}`, text with `${{ }}` inside, or a bare expression), else undefined. Never evaluates it.
 */
export function conditionSyntaxError(condition: string): string | undefined {
  const text = condition.trim();
  if (text === "") return undefined;
  try {
    const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
    if (whole && splitTemplate(text).length === 1) {
      checkSyntax(whole[1]!);
    } else if (hasExpression(text)) {
      // Text around `${{ }}` is a string (evaluateCondition interpolates it): only the expressions inside parse.
      for (const segment of splitTemplate(text)) if (segment.expression !== undefined) checkSyntax(segment.expression);
    } else {
      checkSyntax(text);
    }
  } catch (err) {
    if (err instanceof ExpressionFailure) return err.message;
    throw err;
  }
  return undefined;
}
