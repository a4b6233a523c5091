// How the commands a remote runner prints (retry this job in its run, …) name the plan: as the runner's own
// command did, so that the printed command finds the same plan where the runner ran. A plan's checksum names
// only a stored plan: given a plan file, `orun run <checksum>` found nothing.
import { statSync } from "node:fs";
import path from "node:path";
import { planShortId, type Plan } from "../model/plan.js";

/** A path that reads as a file to `orun run` (src/runtime/plan-source.ts), never as a stored plan's name or a component. */
const PATH_LIKE = /[/\\]|\.(json|ya?ml)$/i;

/**
 * The plan argument for a printed `orun run` command: the file the runner was given (relative to `cwd` when that is
 * shorter), the stored plan's name or ID as given (`latest` becomes the plan's ID: a later `orun plan` moves it), a
 * component name as given, or "" when the runner compiled a fresh plan of the intent (no plan argument).
 */
export function planReference(given: string | undefined, plan: Plan, cwd: string): string {
  const ref = given?.trim();
  if (!ref) return "";
  const file = path.resolve(cwd, ref);
  if (isFile(file)) {
    const relative = path.relative(cwd, file);
    const shorter = relative.length < file.length ? relative : file;
    return shellWord(PATH_LIKE.test(shorter) ? shorter : `./${shorter}`);
  }
  if (ref === "latest" && plan.metadata.checksum) return planShortId(plan);
  return shellWord(ref);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `word` as one shell word (single-quoted when it holds anything but plain characters). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
