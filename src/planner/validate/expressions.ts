// `${{ }}` GitHub expressions in step fields, checked for syntax at plan time (never evaluated: their values
// exist only while a job runs). The github-actions runner parsed them first when the step ran, so a stray `)`
// failed the job after the steps before it had run. Parsed as the runner parses them
// (src/runners/github-actions/expressions.ts): the same splitting, the same contexts and functions.
import { Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { ExpressionFailure, splitTemplate } from "../../runners/github-actions/expressions.js";

/** The contexts the runner gives an expression (step-runner.ts expressionScope). */
const CONTEXTS = ["github", "env", "inputs", "steps", "runner", "job", "secrets", "vars", "needs", "matrix", "strategy"];

const declared = (name: string, minArgs: number, maxArgs: number): FunctionDefinition => ({ name, minArgs, maxArgs, call: () => undefined as never });

/** The runner's own functions besides the library's built-ins: the status functions and hashFiles. */
const FUNCTIONS = [...["success", "failure", "always", "cancelled"].map((name) => declared(name, 0, 0)), declared("hashFiles", 1, 255)];

/** `invalid expression ${{ … }}: <reason>` for the first expression in `text` that does not parse; undefined when all do. */
export function expressionSyntaxError(text: string): string | undefined {
  if (!text.includes("${{")) return undefined;
  try {
    for (const segment of splitTemplate(text)) {
      if (segment.expression === undefined) continue;
      try {
        new Parser(new Lexer(segment.expression).lex().tokens, CONTEXTS, FUNCTIONS).parse();
      } catch (err) {
        throw new ExpressionFailure(segment.expression.trim(), err instanceof Error ? err.message : String(err));
      }
    }
  } catch (err) {
    if (err instanceof ExpressionFailure) return err.message;
    throw err;
  }
  return undefined;
}
