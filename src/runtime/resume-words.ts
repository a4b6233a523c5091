// A local run's resume command as words, so that its record can name the paths inside its repository relative to
// the repository: `orun status` prints them against where the record lives now. Recorded absolute, the command
// failed once the repository was moved, and resumed another checkout's record when one now sat at the old path.
import { realpathSync } from "node:fs";
import path from "node:path";
import { shellWord } from "../util/shell-word.js";
import { planFileWord } from "../plan/plan-file-word.js";

/** A path a command names: a plan file (`plan`), or the value of a flag or of the variable `env` (`NAME=path`). */
export interface PathWord {
  path: string;
  plan?: true;
  env?: string;
}

/** A word of a command as built: shell text as printed, or a path (absolute in a local run's resume command). */
export type CommandWord = string | PathWord;

/** A word of a recorded resume command: shell text, or a path inside the record's root, relative to it ("" the root). */
export type RecordedWord = string | { root: string; plan?: true; env?: string };

/** `word` as printed: a path quoted as one shell word (a plan file as one `orun run` reads as a file). */
function printed(word: CommandWord): string {
  if (typeof word === "string") return word;
  const value = word.plan ? (planFileWord(word.path) ?? shellWord(word.path)) : shellWord(word.path);
  return word.env ? `${word.env}=${value}` : value;
}

/** The command the words make, paths as they are in them. */
export function commandOf(words: CommandWord[]): string {
  return words.map(printed).filter(Boolean).join(" ");
}

/** `file` relative to `root` when it lies inside it ("" for the root itself), else undefined; paths compared as written. */
function lexicallyInside(root: string, file: string): string | undefined {
  if (file === root) return "";
  return path.isAbsolute(file) && file.startsWith(root.endsWith(path.sep) ? root : root + path.sep) ? file.slice(root.replace(/[/\\]$/, "").length + 1) : undefined;
}

/**
 * `file` relative to `root` when it lies inside it, else undefined. A repository reached through a symlink has two
 * names: a path given through the link and a root found through the real path (or the other way round) are compared
 * as their real paths, so the record names the path relative to the repository whichever name each was given by.
 */
function inside(root: string, file: string): string | undefined {
  const written = lexicallyInside(root, file);
  if (written !== undefined || !path.isAbsolute(file) || !path.isAbsolute(root)) return written;
  const realRoot = realPathOf(root);
  const realFile = realPathOf(file);
  if (realRoot === undefined || realFile === undefined) return undefined;
  return lexicallyInside(realRoot, realFile);
}

/**
 * `file` with its longest existing leading folder replaced by that folder's real path, the rest kept as written (a
 * path that does not exist yet, or ends in `/.`); undefined when not even the file system's root resolves.
 */
function realPathOf(file: string): string | undefined {
  let head = file.replace(/[/\\]+$/, "") || path.parse(file).root;
  while (true) {
    try {
      const real = realpathSync(head);
      return file === head ? real : real.replace(/[/\\]$/, "") + path.sep + file.slice(head.length).replace(/^[/\\]+/, "");
    } catch {
      const up = path.dirname(head);
      if (up === head) return undefined;
      head = up;
    }
  }
}

/**
 * The resume command as its record keeps it (metadata.json `resumeCommand`, `resumeWords`): the paths inside `root`
 * (the folder holding the record's `.orun`) relative to it — the command as typed at the root, and the words it is
 * rebuilt from where the root is then (resolvedCommand); a path outside it stays absolute.
 */
export function recordedResume(words: CommandWord[], root: string): { resumeCommand: string; resumeWords: RecordedWord[] } {
  const recorded = words.map((word): RecordedWord => {
    if (typeof word === "string") return word;
    const relative = inside(root, word.path);
    return relative === undefined ? printed(word) : { root: relative, ...(word.plan ? { plan: true } : {}), ...(word.env ? { env: word.env } : {}) };
  });
  const atRoot = recorded.map((word) => (typeof word === "string" ? word : { ...word, path: word.root || "." }));
  return { resumeCommand: commandOf(atRoot), resumeWords: recorded };
}

/** A recorded resume command with its paths under `root`, where the record's `.orun` is now: absolute. */
export function resolvedCommand(words: RecordedWord[], root: string): string {
  return commandOf(words.map((word) => (typeof word === "string" ? word : { ...word, path: word.root ? `${root.replace(/[/\\]$/, "")}${path.sep}${word.root}` : root })));
}

/** Whether `value` (metadata.json's `resumeWords`) is a list of recorded words. */
export function isRecordedWords(value: unknown): value is RecordedWord[] {
  // A variable's name is printed as it is: only a name can be one.
  const name = (v: unknown): boolean => v === undefined || (typeof v === "string" && /^[A-Za-z_]\w*$/.test(v));
  return (
    Array.isArray(value) &&
    value.every((word: unknown) => {
      if (typeof word === "string") return true;
      const entry = word as { root?: unknown; plan?: unknown; env?: unknown } | null;
      return typeof entry === "object" && entry !== null && typeof entry.root === "string" && (entry.plan === undefined || entry.plan === true) && name(entry.env);
    })
  );
}
