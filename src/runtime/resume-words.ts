// A local run's resume command as words, so that its record can name the paths inside its repository relative to
// the repository: `orun status` prints them against where the record lives now. Recorded absolute, the command
// failed once the repository was moved, and resumed another checkout's record when one now sat at the old path.
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

/** `file` relative to `root` when it lies inside it ("" for the root itself), else undefined. */
function inside(root: string, file: string): string | undefined {
  if (file === root) return "";
  return path.isAbsolute(file) && file.startsWith(root.endsWith(path.sep) ? root : root + path.sep) ? file.slice(root.replace(/[/\\]$/, "").length + 1) : undefined;
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
