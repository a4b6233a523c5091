// Which files changed: from `--files`, `--uncommitted`, `--untracked`, or a
// comparison of two git revisions (`--base`/`--head`, or refs detected from
// the CI environment). Paths come back relative to the intent directory, the
// same frame component paths use, plus a semantic diff of intent.yaml when it
// is among them.

import { readFileSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { OrunError } from "../../util/errors.js";
import { diffNames, gitToplevel, mergeBase, resolveCommit, showFile, uncommittedNames, untrackedNames } from "./git.js";
import { diffIntentText, type IntentDiff } from "./intent-diff.js";
import { INTENT_IMPACTS, normalizePath, type IntentImpact } from "./select.js";

export interface ChangeOptions {
  base?: string;
  head?: string;
  /** `--files a,b` (repeatable): paths relative to the working directory. */
  files?: string[];
  uncommitted?: boolean;
  untracked?: boolean;
  intentImpact?: string;
  /** Why `base` is what it is when a CI event chose it unusually (a new branch's push): said in a note and in a refusal. */
  baseReason?: string;
  /** Compared with instead when `base` is not in the checkout (a new branch's push: the default branch the event names). */
  fallbackBase?: string;
}

export interface ChangeEnvironment {
  cwd: string;
  /** Absolute path of intent.yaml. */
  intentFile: string;
  /** For CI ref detection; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export type ChangeSource =
  | { kind: "files" }
  | { kind: "uncommitted" }
  | { kind: "untracked" }
  | {
      kind: "refs";
      base: string;
      baseSha: string;
      /** undefined: compared with the working tree (uncommitted and untracked files included). */
      head?: string;
      headSha?: string;
      /** The commit actually diffed from (merge base of base and head, when there is one). */
      from: string;
      /** Set when the refs were detected from a CI environment rather than given. */
      ci?: string;
    };

export interface ChangeSet {
  source: ChangeSource;
  /** Changed files relative to the intent dir (outside it: `../…`), sorted. */
  changedFiles: string[];
  /** intent.yaml relative to the intent dir. */
  intentFile: string;
  /** Semantic diff of intent.yaml, when it changed and both versions could be read. */
  intentDiff?: IntentDiff;
  /** Lines for stderr (CI detection banner). */
  notes: string[];
}

/** v2.3's flag rules, with its messages. */
export function validateChangeOptions(options: ChangeOptions): void {
  const files = filesGiven(options.files);
  if (files && (options.uncommitted || options.untracked || options.base || options.head)) {
    throw new OrunError("--files conflicts with --uncommitted, --untracked, --base, and --head", { location: { field: "--files" } });
  }
  if (options.uncommitted && (options.untracked || options.base || options.head)) {
    throw new OrunError("--uncommitted conflicts with --untracked, --base, and --head", { location: { field: "--uncommitted" } });
  }
  if (options.untracked && (options.base || options.head)) {
    throw new OrunError("--untracked conflicts with --uncommitted, --base, and --head", { location: { field: "--untracked" } });
  }
  if (options.head && !options.base) throw new OrunError("--head requires --base", { location: { field: "--head" } });
  parseIntentImpact(options.intentImpact);
}

export function parseIntentImpact(value: string | undefined): IntentImpact {
  if (value === undefined) return "watch";
  const impact = value.trim().toLowerCase();
  if (!(INTENT_IMPACTS as readonly string[]).includes(impact)) {
    throw new OrunError(`invalid --intent-impact "${value}" (valid: ${INTENT_IMPACTS.join(", ")})`, { location: { field: "--intent-impact" } });
  }
  return impact as IntentImpact;
}

/**
 * Whether `--files` was given, even with nothing in it: `--files "$CHANGED"` with nothing changed
 * means "these files and no others changed" (plan nothing), not "ask git" or "plan everything".
 */
export function filesGiven(values: readonly string[] | undefined): boolean {
  return (values ?? []).length > 0;
}

/** `--files a,b --files c` → [a, b, c]. */
export function splitFileList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

export async function collectChanges(options: ChangeOptions, context: ChangeEnvironment): Promise<ChangeSet> {
  validateChangeOptions(options);
  const intentDir = await realpath(path.dirname(context.intentFile));
  const intentFile = path.basename(context.intentFile);
  if (filesGiven(options.files)) {
    const files = splitFileList(options.files);
    const cwd = await realpath(context.cwd);
    const changed = files.map((f) => toPosix(path.relative(intentDir, path.resolve(cwd, f))));
    // What changed inside intent.yaml is unknown without revisions to compare.
    return { source: { kind: "files" }, changedFiles: tidy(changed), intentFile, notes: [] };
  }

  const repo = await gitToplevel(intentDir);
  const intentInRepo = toPosix(path.relative(repo, path.join(intentDir, intentFile)));
  const fromRepo = (names: string[]): string[] => tidy(names.map((n) => toPosix(path.relative(intentDir, path.join(repo, n)))));
  const workingIntent = (): Promise<Buffer | undefined> => readFile(path.join(intentDir, intentFile)).catch(() => undefined);
  const withDiff = async (set: Omit<ChangeSet, "intentDiff">, before: () => Promise<Buffer | undefined>, after: () => Promise<Buffer | undefined>): Promise<ChangeSet> =>
    set.changedFiles.includes(intentFile) ? { ...set, intentDiff: diffIntentText(await before(), await after()) } : set;
  const headVersion = async (): Promise<Buffer | undefined> => {
    const head = await gitHead(repo);
    return head ? showFile(repo, head, intentInRepo) : undefined;
  };

  if (options.uncommitted) {
    const set = { source: { kind: "uncommitted" } as const, changedFiles: fromRepo(await uncommittedNames(repo)), intentFile, notes: [] };
    return withDiff(set, headVersion, workingIntent);
  }
  if (options.untracked) {
    const set = { source: { kind: "untracked" } as const, changedFiles: fromRepo(await untrackedNames(repo)), intentFile, notes: [] };
    return withDiff(set, async () => undefined, workingIntent);
  }

  const detected = options.base ? undefined : detectCiRefs(context.env ?? process.env);
  const wantedBase = options.base ?? detected?.base ?? "main";
  const headRef = options.head ?? detected?.head;
  const fallbackBase = options.base ? options.fallbackBase : detected?.fallbackBase;
  let baseRef = wantedBase;
  let baseReason = options.base ? options.baseReason : detected?.baseReason;
  const refuse = (err: unknown): never => {
    if (!(err instanceof OrunError) || baseReason === undefined) throw err;
    throw new OrunError(`${err.message} (${baseReason})`, {
      location: { field: "--base" },
      hint: `fetch that branch (actions/checkout with fetch-depth: 0 fetches every branch), or name the branch to compare with: --base <branch>`,
      cause: err,
    });
  };
  const base = await resolveCommit(repo, wantedBase, "base").catch(async (err: unknown) => {
    // The spec's base for a new branch is main; a repository whose default branch is another has none, so that one.
    if (fallbackBase === undefined || !(err instanceof OrunError)) return refuse(err);
    baseRef = fallbackBase;
    baseReason = `${baseReason ?? "no base commit"}; ${wantedBase} is not in this checkout, so the repository's default branch ${fallbackBase}`;
    return resolveCommit(repo, fallbackBase, "base").catch(refuse);
  });
  const head = headRef ? await resolveCommit(repo, headRef, "head") : undefined;
  const from = (await mergeBase(repo, base.sha, head?.sha ?? "HEAD")) ?? base.sha;
  const names = head ? await diffNames(repo, from, head.sha) : [...(await diffNames(repo, from)), ...(await untrackedNames(repo))];
  const notes = detected ? [`ci: ${detected.provider} (${detected.event}), base: ${baseRef}, head: ${headRef ?? "HEAD"}`] : [];
  if (baseReason !== undefined) notes.push(`ci: base ${baseRef}: ${baseReason}`);
  const set: Omit<ChangeSet, "intentDiff"> = {
    source: { kind: "refs", base: base.ref, baseSha: base.sha, ...(head ? { head: head.ref, headSha: head.sha } : {}), from, ...(detected ? { ci: detected.provider } : {}) },
    changedFiles: fromRepo(names),
    intentFile,
    notes,
  };
  return withDiff(set, () => showFile(repo, from, intentInRepo), () => (head ? showFile(repo, head.sha, intentInRepo) : workingIntent()));
}

export interface DetectedRefs {
  provider: string;
  event: string;
  base?: string;
  head?: string;
  /** Why the base is not the event's own (a new branch's push): see newBranchBase. */
  baseReason?: string;
  fallbackBase?: string;
}

/**
 * The base of a GitHub push that created its branch: its `before` is forty zeros (no commit), so orun compares with
 * main at their merge base (spec 10: zero/missing → main); in a repository without main, with the default branch the
 * event names (`repository.default_branch`). Undefined when `before` is a commit.
 */
export function newBranchBase(payload: unknown): { base: string; fallbackBase?: string; baseReason: string } | undefined {
  const event = typeof payload === "object" && payload !== null ? (payload as { before?: unknown; repository?: { default_branch?: unknown } }) : {};
  if (typeof event.before === "string" && event.before !== "" && !/^0+$/.test(event.before)) return undefined;
  const named = event.repository?.default_branch;
  const branch = typeof named === "string" && named.trim() !== "" ? named.trim() : undefined;
  const why = typeof event.before === "string" && event.before !== "" ? "the push created the branch (its `before` is 000…0)" : "the push event has no `before` commit";
  return {
    base: "main",
    ...(branch !== undefined && branch !== "main" ? { fallbackBase: branch } : {}),
    baseReason: `${why}, so the changes are those since it left main`,
  };
}

/** Base/head from CI environment variables (GitHub Actions, GitLab CI, Buildkite); undefined outside CI. */
export function detectCiRefs(env: NodeJS.ProcessEnv, readEvent: (file: string) => unknown = readJsonSync): DetectedRefs | undefined {
  const nonZero = (sha: string | undefined): string | undefined => (sha && !/^0+$/.test(sha) ? sha : undefined);
  if (env.GITHUB_ACTIONS?.toLowerCase() === "true") {
    const event = env.GITHUB_EVENT_NAME ?? "unknown";
    const head = env.GITHUB_SHA || undefined;
    if (event.startsWith("pull_request")) return { provider: "github", event, base: env.GITHUB_BASE_REF || "main", head: head ?? (env.GITHUB_HEAD_REF || undefined) };
    if (event === "push") {
      const payload = env.GITHUB_EVENT_PATH ? readEvent(env.GITHUB_EVENT_PATH) : undefined;
      const before = typeof payload === "object" && payload !== null ? (payload as { before?: unknown }).before : undefined;
      return { provider: "github", event, ...(newBranchBase(payload) ?? { base: before as string }), head };
    }
    return { provider: "github", event, base: "main", head };
  }
  if (env.GITLAB_CI?.toLowerCase() === "true") {
    const mr = env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
    return mr
      ? { provider: "gitlab", event: "merge_request", base: mr, head: env.CI_COMMIT_SHA || undefined }
      : { provider: "gitlab", event: "push", base: nonZero(env.CI_COMMIT_BEFORE_SHA) ?? "main", head: env.CI_COMMIT_SHA || undefined };
  }
  if (env.BUILDKITE?.toLowerCase() === "true") {
    const pr = env.BUILDKITE_PULL_REQUEST_BASE_BRANCH;
    return { provider: "buildkite", event: pr ? "pull_request" : "push", base: pr || "main", head: env.BUILDKITE_COMMIT || undefined };
  }
  return undefined;
}

async function gitHead(repo: string): Promise<string | undefined> {
  try {
    return (await resolveCommit(repo, "HEAD", "head")).sha;
  } catch {
    return undefined;
  }
}

function readJsonSync(file: string): unknown {
  try {
    // A small file read once per plan; sync keeps detectCiRefs a plain function.
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** orun's own state (`.orun/` next to intent.yaml: plans, executions, caches) is never a change. */
function tidy(files: string[]): string[] {
  return [...new Set(files.map(normalizePath).filter((f) => f !== "" && f !== ".orun" && !f.startsWith(".orun/")))].sort();
}
