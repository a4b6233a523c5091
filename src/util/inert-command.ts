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
