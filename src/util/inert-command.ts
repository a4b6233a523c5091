import { printable } from "./printable.js";

/**
 * Text no line of which the runner around orun reads as a workflow command, nor GitHub's log view as its own: a
 * backslash inside each `##[` (the old syntax, read anywhere in a line: `##\[error]`) and before `::` starting a line
 * once blanks are trimmed (`\::error::`). For orun's own lines, which say what they say without stop-commands
 * markers (see gha-logs.ts githubNoteText).
 */
export function inertCommandText(text: string): string {
  return text.replace(/##\[/g, "##\\[").replace(/(^|\r\n|\r|\n)([^\S\r\n]*)::/g, "$1$2\\::");
}

/** `text` as orun writes its own lines on stderr: inert under GitHub Actions (GITHUB_ACTIONS=true), else as it is. */
export function ownLineText(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_ACTIONS === "true" ? inertCommandText(text) : text;
}

/**
 * An own line that quotes another program's text (a backend's error or reason): escaped (printable, line breaks
 * kept) and inert under GitHub Actions — the quoted text may hold `\n::error::…` or `##[error]…`.
 */
export function quotingLineText(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return ownLineText(printable(text, { keepLineBreaks: true }), env);
}

/**
 * JSON text (as JSON.stringify writes it) for a GitHub Actions log: each string (keys too) through `mask`, and each
 * `##[` in one written `##\u005b` — the same value to a JSON reader, no old-syntax command to the runner, which reads
 * `##[` anywhere in a line. A `::` command must start its line, which no JSON line does: each starts with a bracket,
 * a brace, a quote or a literal, and a line break inside a string is written `\n`.
 */
export function inertJsonText(json: string, mask: (text: string) => string = (text) => text): string {
  return json.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => JSON.stringify(mask(JSON.parse(literal) as string)).replaceAll("##[", "##\\u005b"));
}
