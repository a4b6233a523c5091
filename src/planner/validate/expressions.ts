// `${{ }}` GitHub expressions in step fields and job env, checked for syntax at plan time (never evaluated:
// their values exist only while a job runs). The github-actions runner parses them only when the step runs, so
// a stray `)` failed the job after the steps before it had run. Parsed as the runner parses them
// (src/runners/github-actions/expressions.ts): the same splitting, the same contexts and functions.
// A warning, not an error: the plan does not know its runner, and the local and docker runners run `run:`
// text as written (a step may legitimately write `${{ secrets.X }}` into a workflow file).
import { Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { ExpressionFailure, splitTemplate } from "../../runners/github-actions/expressions.js";

/** The contexts the runner gives an expression (step-runner.ts expressionScope). */
const CONTEXTS = ["github", "env", "inputs", "steps", "runner", "job", "secrets", "vars", "needs", "matrix", "strategy"];

const declared = (name: string, minArgs: number, maxArgs: number): FunctionDefinition => ({ name, minArgs, maxArgs, call: () => undefined as never });

/** The runner's own functions besides the library's built-ins: the status functions and hashFiles. */
const FUNCTIONS = [...["success", "failure", "always", "cancelled"].map((name) => declared(name, 0, 0)), declared("hashFiles", 1, 255)];

/** What a bad expression in a step field does on each runner (the tail of its warning). */
export const STEP_EXPRESSION_CONSEQUENCE = "the github-actions runner would fail the step; the local and docker runners run it as written";
/** The same for a job env value: the github-actions runner evaluates job env before every step. */
export const JOB_ENV_EXPRESSION_CONSEQUENCE = "the github-actions runner would fail every step of the job; the local and docker runners pass it as written";

/**
 * `invalid expression ${{ … }}: <reason>` for every expression in `text` that does not parse, or that is
 * empty (GitHub refuses `${{ }}`), joined by "; "; undefined when all parse.
 */
export function expressionSyntaxError(text: string): string | undefined {
  if (!text.includes("${{")) return undefined;
  const failures = expressionFailures(text);
  return failures.length ? failures.join("; ") : undefined;
}

function expressionFailures(text: string): string[] {
  let segments;
  try {
    segments = splitTemplate(text);
  } catch (err) {
    if (!(err instanceof ExpressionFailure)) throw err;
    // An unclosed `${{` runs to the end of the text; the expressions before it are checked too.
    return [...(err.offset ? expressionFailures(text.slice(0, err.offset)) : []), err.message];
  }
  const failures: string[] = [];
  for (const segment of segments) {
    if (segment.expression === undefined) continue;
    if (segment.expression.trim() === "") {
      failures.push(new ExpressionFailure("", "empty expression (GitHub refuses it: An expression was expected)", `\${{${segment.expression}}}`).message);
      continue;
    }
    try {
      new Parser(new Lexer(segment.expression).lex().tokens, CONTEXTS, FUNCTIONS).parse();
    } catch (err) {
      failures.push(new ExpressionFailure(segment.expression.trim(), err instanceof Error ? err.message : String(err)).message);
    }
  }
  return failures;
}
