// How a printed `orun run` command names a plan file: as a word `orun run` reads as that file (resolvePlanRef in
// store.ts), never as a stored plan's name, a component, an option or another file.
import { shellWord } from "../util/shell-word.js";

/**
 * A word `orun run` reads as a file, never as a stored plan's name or a component: a slash, a leading `.` or a plan
 * file's extension (resolvePlanRef in store.ts). A bare word is looked up in the store first.
 */
export const READS_AS_FILE = /[/\\]|^\.|\.(json|ya?ml)$/i;

/**
 * `file` (a path, relative or absolute) as one shell word that `orun run` reads as that file, with `./` before it
 * when it would read otherwise: a bare name (a stored plan's), a leading `-` (an option), leading whitespace (orun
 * trims its plan argument), a leading `=` (zsh expands `=name` to a command's path). Undefined for a path ending in
 * whitespace: orun trims it off, so no command names that file.
 */
export function planFileWord(file: string): string | undefined {
  if (/\s$/.test(file)) return undefined;
  const plain = READS_AS_FILE.test(file) && !/^[-=\s]/.test(file);
  return shellWord(plain ? file : `./${file}`);
}
