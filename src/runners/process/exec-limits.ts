// Linux refuses to exec (E2BIG) when one argument or `KEY=value` string is longer than MAX_ARG_STRLEN; Node then
// says only "spawn E2BIG". Runners name the culprit from here.

/** Linux's limit for one argument or `KEY=value` string (MAX_ARG_STRLEN, 32 pages). */
export const MAX_ARG_STRLEN = 128 * 1024;

export interface ExecString {
  /** "env variable NAME", or "the step's script" for an argument. */
  name: string;
  kind: "env" | "argument";
  bytes: number;
}

/** The longest of the step's `KEY=value` strings and arguments, as exec measures them. */
export function longestExecString(env: Record<string, string>, args: readonly string[]): ExecString {
  let longest: ExecString = { name: "", kind: "env", bytes: 0 };
  for (const [key, value] of Object.entries(env)) {
    const bytes = Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
    if (bytes > longest.bytes) longest = { name: `env variable ${key}`, kind: "env", bytes };
  }
  for (const arg of args) {
    const bytes = Buffer.byteLength(arg);
    if (bytes > longest.bytes) longest = { name: "the step's script", kind: "argument", bytes };
  }
  return longest;
}
