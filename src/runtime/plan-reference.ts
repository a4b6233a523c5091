// How the `orun run` commands orun prints for a run (a local run's resume, a remote runner's retry or rejoin, …)
// name the plan and repeat its flags: as the run's own command did, so that the printed command finds the same plan
// where the run ran. A plan's checksum names only a stored plan: given a plan file, `orun run <checksum>` found nothing.
// Light (no remote code): a run builds its resume command at start, for its record (test/cli/startup.test.ts).
import path from "node:path";
import { planShortId, type Plan } from "../model/plan.js";
import { shellWord } from "../util/shell-word.js";
import { READS_AS_FILE, planFileWord } from "../plan/plan-file-word.js";
import { commandOf, type CommandWord } from "./resume-words.js";

export { shellWord };

/**
 * The plan argument for a printed `orun run` command, naming what the run read (`file`: the plan file it loaded, a
 * stored plan's included; none for a plan compiled here) as `orun run` will look it up again: a plan file given as a
 * path, or as a bare word found in the working folder, as a path (relative to `cwd` when that is shorter; `./` when
 * it would read otherwise: planFileWord); a stored plan's name or ID as given (`latest` becomes the
 * plan's ID: a later `orun plan` moves it), even when a file of that name is in the working folder (the store is
 * looked in first); a component name as given; "" when the runner compiled a fresh plan of the intent. `absolute`: a
 * plan file always as its absolute path (a local run's resume: pasted in another folder, a relative one named another
 * file or none).
 */
export function planReference(given: string | undefined, plan: Plan, cwd: string, file: string | undefined, options: { absolute?: boolean } = {}): string {
  const ref = given?.trim();
  if (!ref) return "";
  const named = planFileOf(ref, cwd, file);
  if (named !== undefined) {
    const relative = path.relative(cwd, named);
    const shorter = !options.absolute && relative.length < named.length ? relative : named;
    return planFileWord(shorter) ?? shellWord(shorter);
  }
  if (ref === "latest" && plan.metadata.checksum) return planShortId(plan);
  return shellWord(ref);
}

/** The plan file (`file`, absolute) when the plan argument `given` named it as a file; else undefined (a stored plan, a component). */
export function planFileOf(given: string | undefined, cwd: string, file: string | undefined): string | undefined {
  const ref = given?.trim();
  return ref && file !== undefined && (READS_AS_FILE.test(ref) || path.resolve(cwd, ref) === file) ? file : undefined;
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
  /** --concurrency and --fail-fast / --no-fail-fast: how the run went on, repeated by its resume (a local run's). */
  concurrency?: number;
  failFast?: boolean;
}

/**
 * The flags a printed `orun run` command repeats from the runner's own, so that it compiles or finds the same plan,
 * reaches the same backend and runs with the same runner where the runner ran (`-e dev` left out compiled another
 * plan, which the run refused; `--backend-url` left out went to another backend; `--gha` left out ran locally).
 * `-e`/`--component` (repeated when `filters`) shape a plan compiled afresh; of a given plan they only filter jobs:
 * a resume repeats them (they are the scope it resumes), a retry command leaves them out (they would exclude the job
 * it names when that is another runner's).
 */
export function carriedFlags(options: CarriedOptions, filters: boolean): string {
  return commandOf(carriedFlagWords(options, filters));
}

/** carriedFlags as words: the paths (-i, --config-dir, --workdir) as path words. */
export function carriedFlagWords(options: CarriedOptions, filters: boolean): CommandWord[] {
  const words: CommandWord[] = [];
  const value = (flag: string, v: string | undefined): void => void (v?.trim() && words.push(flag, shellWord(v)));
  const pathValue = (flag: string, v: string | undefined): void => void (v?.trim() && words.push(flag, { path: v }));
  // Values orun trims when it reads them, trimmed here: a trailing newline quoted split the printed command in two.
  const trimmed = (flag: string, v: string | undefined): void => value(flag, v?.trim());
  pathValue("-i", options.intent);
  pathValue("--config-dir", options.configDir);
  if (filters) for (const env of options.env ?? []) trimmed("-e", env);
  if (filters) for (const component of options.component ?? []) trimmed("--component", component);
  trimmed("--backend-url", options.backendUrl);
  if (options.gha) words.push("--gha");
  else trimmed("--runner", options.runner);
  trimmed("--docker-image", options.dockerImage);
  trimmed("--pull", options.pull);
  if (options.approve) words.push("--approve");
  pathValue("--workdir", options.workdir);
  // A resume without them ran the rest at the plan's concurrency and fail-fast: less than the run it resumes.
  if (options.concurrency !== undefined) words.push("--concurrency", String(options.concurrency));
  if (options.failFast !== undefined) words.push(options.failFast ? "--fail-fast" : "--no-fail-fast");
  return words;
}

/**
 * The environment a printed `orun run` command repeats as `NAME=value` words before it: the ORUN_* settings the run
 * read that change what the command does and that no repeated flag overrides (a flag wins over its variable). Pasted
 * in another shell, or later in one where they were unset, the command compiled another plan (ORUN_CONFIG_DIR), ran
 * the docker jobs in another image or as another user (ORUN_DOCKER_*). `compiles`: the run compiled its plan here (a
 * given plan never reads ORUN_CONFIG_DIR); `docker`: it ran with the docker runner. ORUN_RUNNER is repeated as
 * --runner instead (resumeCommandOf).
 */
export function carriedEnv(options: CarriedOptions, env: NodeJS.ProcessEnv, uses: { compiles: boolean; docker: boolean }): string {
  return commandOf(carriedEnvWords(options, env, uses));
}

/** carriedEnv as words: ORUN_CONFIG_DIR's as a path word. */
export function carriedEnvWords(options: CarriedOptions, env: NodeJS.ProcessEnv, uses: { compiles: boolean; docker: boolean }): CommandWord[] {
  const names = [
    ...(uses.compiles && !options.configDir?.trim() ? ["ORUN_CONFIG_DIR"] : []),
    ...(uses.docker && !options.dockerImage?.trim() ? ["ORUN_DOCKER_IMAGE"] : []),
    ...(uses.docker && !options.pull?.trim() ? ["ORUN_DOCKER_PULL"] : []),
    ...(uses.docker ? ["ORUN_DOCKER_USER"] : []),
  ];
  // The docker settings are read trimmed (runners/docker/config.ts): a trailing newline would split the command.
  const word = (name: string): CommandWord => (name === "ORUN_CONFIG_DIR" ? { env: name, path: env[name]! } : `${name}=${shellWord(env[name]!.trim())}`);
  return names.flatMap((name) => (env[name]?.trim() ? [word(name)] : []));
}

/**
 * A directory as a printed command names it: absolute (pasted in another folder, a relative one named another
 * directory or none), and ending in `/.` when its name ends in a newline — a shell word cannot end in one on a single
 * line (a command substitution drops it), and the directory is the same.
 */
export function absoluteDir(cwd: string, dir: string): string {
  const absolute = path.resolve(cwd, dir);
  return /\n$/.test(absolute) ? `${absolute}/.` : absolute;
}

/**
 * How a printed `orun status`/`logs`/`run` command names a remote run after `--exec-id`: its ID, `--remote-state`
 * and the backend's URL (printedBackendUrl; from --backend-url or ORUN_BACKEND_URL), so the command works pasted in a
 * shell where ORUN_BACKEND_URL is unset (docs/running.md). Every such command is built here.
 */
export function remoteRunWords(runId: string, backendUrl: string | undefined): string {
  const url = printedBackendUrl(backendUrl);
  return `${shellWord(runId)} --remote-state${url ? ` --backend-url ${shellWord(url)}` : ""}`;
}

/**
 * The backend URL a printed command repeats (ORUN_BACKEND_URL's too: pasted where it is unset, the command failed
 * "requires --backend-url"), never with its password: the command is printed, logged and pasted into issues.
 */
export function printedBackendUrl(url: string | undefined): string | undefined {
  if (!url?.trim()) return undefined;
  try {
    const parsed = new URL(url.trim());
    if (!parsed.password) return url.trim();
    parsed.password = "";
    return parsed.href;
  } catch {
    return undefined;
  }
}
