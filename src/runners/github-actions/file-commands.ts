// File commands: the per-step files behind GITHUB_ENV (alias ORUN_ENV),
// GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STATE and GITHUB_STEP_SUMMARY, created
// empty before a process starts and read back after it exits.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { plainRecord, userRecord } from "./job-state.js";
import { quoted } from "../../util/printable.js";

export interface FileCommandPaths {
  env: string;
  output: string;
  path: string;
  state: string;
  summary: string;
}

export interface FileCommandResults {
  env: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  paths: string[];
  summary: string;
  /** Bytes of a step summary over SUMMARY_LIMIT: it was not read, and is not kept. */
  summaryTooLarge?: number;
}

/** GitHub's cap on one step's GITHUB_STEP_SUMMARY (the runner refuses larger ones). */
export const SUMMARY_LIMIT = 1024 * 1024;

/** GitHub's error (an annotation; the step's result stands) for a step summary over SUMMARY_LIMIT. */
export function summaryTooLargeMessage(bytes: number): string {
  return `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${SUMMARY_LIMIT / 1024}k, got ${Math.floor(bytes / 1024)}k. For more information see: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-markdown-summary`;
}

export async function createFileCommands(root: string): Promise<FileCommandPaths> {
  const dir = path.join(root, randomBytes(6).toString("hex"));
  await mkdir(dir, { recursive: true });
  const files: FileCommandPaths = {
    env: path.join(dir, "env"),
    output: path.join(dir, "output"),
    path: path.join(dir, "path"),
    state: path.join(dir, "state"),
    summary: path.join(dir, "summary"),
  };
  await Promise.all(Object.values(files).map((f) => writeFile(f, "")));
  return files;
}

export function fileCommandEnv(files: FileCommandPaths): Record<string, string> {
  return {
    GITHUB_ENV: files.env,
    ORUN_ENV: files.env,
    GITHUB_OUTPUT: files.output,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
  };
}

/** How much of a malformed line an error quotes: a step may write megabytes on one line, and the error goes to the summary and the record. */
const SHOWN_CHARS = 80;

/** `text` quoted in a file command's error: masked by `mask` first (a secret the cut fell inside would show its start), then cut. */
export function shownInError(text: string, mask: (text: string) => string): string {
  return quoted(mask(text), SHOWN_CHARS);
}

/**
 * Parses a `KEY=value` / `KEY<<DELIM … DELIM` file. Throws with the file's
 * variable name and line number on malformed content, quoting the line masked by `mask` before it is cut short:
 * a secret the cut fell inside would no longer be the value masked, and its start would show.
 */
export function parseKeyValueFile(content: string, label: string, mask: (text: string) => string = (text) => text): Record<string, string> {
  const shown = (text: string): string => shownInError(text, mask);
  const result = userRecord();
  const lines = content.replace(/^\uFEFF/, "").split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      // Taken as written, as GitHub's runner does: `K<<EOF ` ends only at a line `EOF ` (trailing space and all).
      const key = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!key || !delimiter) throw new Error(`${label} line ${i + 1}: invalid heredoc assignment ${shown(line)}`);
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end] !== delimiter) end++;
      if (end >= lines.length) throw new Error(`${label} line ${i + 1}: matching delimiter ${shown(delimiter)} not found for ${shown(key)}`);
      result[key] = lines.slice(start, end).join("\n");
      i = end;
      continue;
    }
    if (eq <= 0) throw new Error(`${label} line ${i + 1}: invalid file-command assignment ${shown(line)}`);
    result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return plainRecord(result);
}

/**
 * What a file-command file holds. Only a regular file is read: a step may have replaced it with a symlink
 * to /dev/zero or a FIFO, which would never end (opened non-blocking, so a FIFO cannot hang the open).
 * A file gone is empty. `limit`: bytes past which it is not read (its size is returned instead).
 */
async function readCommandFile(file: string, label: string, limit = Infinity): Promise<{ text: string; tooLarge?: number }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { text: "" };
    throw new Error(`${label}: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${label}: ${file} is no longer a regular file (the step replaced it); not read`);
    if (info.size > limit) return { text: "", tooLarge: info.size };
    return { text: await handle.readFile("utf8") };
  } finally {
    await handle.close();
  }
}

/**
 * Past this a GITHUB_ENV/OUTPUT/PATH/STATE file is not read but fails the step: a step writing gigabytes
 * there (a runaway loop) must not take orun's memory with it. GitHub caps a job's outputs at 1 MB anyway.
 */
export const FILE_COMMAND_LIMIT = 64 * 1024 * 1024;

/** A file-command file's text, or an error naming it when it is over FILE_COMMAND_LIMIT. */
async function readBounded(file: string, label: string): Promise<string> {
  const { text, tooLarge } = await readCommandFile(file, label, FILE_COMMAND_LIMIT);
  if (tooLarge !== undefined) throw new Error(`${label}: ${file} holds ${Math.ceil(tooLarge / 1024 / 1024)} MiB; file commands over ${FILE_COMMAND_LIMIT / 1024 / 1024} MiB are not read`);
  return text;
}

/** The files' commands; `mask` hides secrets in the lines an error quotes. */
export async function readFileCommands(files: FileCommandPaths, mask?: (text: string) => string): Promise<FileCommandResults> {
  // A summary over the cap is never read: a step may write gigabytes there.
  const [env, output, pathText, state, summary] = await Promise.all([
    readBounded(files.env, "GITHUB_ENV"),
    readBounded(files.output, "GITHUB_OUTPUT"),
    readBounded(files.path, "GITHUB_PATH"),
    readBounded(files.state, "GITHUB_STATE"),
    readCommandFile(files.summary, "GITHUB_STEP_SUMMARY", SUMMARY_LIMIT),
  ]);
  return {
    ...(summary.tooLarge !== undefined ? { summaryTooLarge: summary.tooLarge } : {}),
    env: parseKeyValueFile(env, "GITHUB_ENV", mask),
    outputs: parseKeyValueFile(output, "GITHUB_OUTPUT", mask),
    state: parseKeyValueFile(state, "GITHUB_STATE", mask),
    paths: pathText
      .split(/\r?\n/)
      .map((p) => p.trim())
      .filter(Boolean),
    summary: summary.text,
  };
}

/** Env keys a step may not override through GITHUB_ENV (the runner owns them). */
export function isProtectedEnvKey(key: string): boolean {
  const upper = key.toUpperCase();
  return upper === "NODE_OPTIONS" || upper.startsWith("GITHUB_") || upper.startsWith("RUNNER_") || upper.startsWith("ORUN_");
}
