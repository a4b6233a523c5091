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

/** The runner's options that choose its plan, backend and runner (as `orun run` parses them). */
export interface CarriedOptions {
  intent?: string;
  configDir?: string;
  env?: string[];
  component?: string[];
  backendUrl?: string;
  gha?: boolean;
  runner?: string;
  dockerImage?: string;
  pull?: string;
  approve?: boolean;
  workdir?: string;
}

/**
 * The flags a printed `orun run` command repeats from the runner's own, so that it compiles or finds the same plan,
 * reaches the same backend and runs with the same runner where the runner ran (`-e dev` left out compiled another
 * plan, which the run refused; `--backend-url` left out went to another backend; `--gha` left out ran locally).
 * `-e`/`--component` shape a plan compiled afresh (`fresh`); of a given plan they only filter jobs, and would
 * exclude the job a printed command names when it is another runner's.
 */
export function carriedFlags(options: CarriedOptions, fresh: boolean): string {
  const words: string[] = [];
  const value = (flag: string, v: string | undefined): void => void (v?.trim() && words.push(flag, shellWord(v)));
  value("-i", options.intent);
  value("--config-dir", options.configDir);
  if (fresh) for (const env of options.env ?? []) value("-e", env);
  if (fresh) for (const component of options.component ?? []) value("--component", component);
  value("--backend-url", options.backendUrl);
  if (options.gha) words.push("--gha");
  else value("--runner", options.runner);
  value("--docker-image", options.dockerImage);
  value("--pull", options.pull);
  if (options.approve) words.push("--approve");
  value("--workdir", options.workdir);
  return words.join(" ");
}
