// Everything the github-actions runner keeps per job: its folders, the
// environment every step starts from, what steps exported (env, PATH),
// masks, the `steps` context and the post hooks to run at job end.
// Each job has its own, so concurrent jobs never share files or env.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";

import path from "node:path";
import type { JobContext } from "../runner.js";
import type { ContextValue } from "./expressions.js";
import { buildGithubContext, githubEnv, runnerArch, runnerOs, toolCacheDir, type RepoInfo } from "./github-context.js";
import { Masker } from "./masker.js";
import { hostSecretValues, secretsContext } from "../../runtime/host-secrets.js";
import type { ActionMetadata } from "./action-metadata.js";
import type { ContainerCall } from "./docker-action.js";
import { jobRunDefaults, type RunDefaults } from "./job-keys.js";

export interface StepRecord {
  outputs: Record<string, string>;
  outcome: "success" | "failure" | "cancelled" | "skipped";
  conclusion: "success" | "failure" | "cancelled" | "skipped";
}

export interface PostHook {
  /** Key of the step that registered it (a retry replaces the hook). */
  owner: string;
  /** How the post is named (`▸ Post <name>`, its errors): the step's, as GitHub names it. */
  name: string;
  action: ActionMetadata;
  script: string;
  condition?: string;
  env: Record<string, string>;
  state: Record<string, string>;
  cwd: string;
  /** A docker action's post-entrypoint (instead of a node script). */
  container?: ContainerCall;
  /** The time limit of the step that registered it (orun timeout, timeout-minutes), which holds for the post too. */
  timeoutMs?: number;
}

/** A job-level step's action `pre` that ran at job start (GitHub hoists them). */
export interface HoistedPre {
  /** GITHUB_ACTION of the step, shared by its pre, main and post. */
  actionName: string;
  /** What the pre saved (GITHUB_STATE), handed to main and post as STATE_*. */
  state: Record<string, string>;
}

export interface JobState {
  jobId: string;
  /** `<scratch>/<job>`: kept after the job (summary.md). */
  folder: string;
  /** `<folder>/tmp`: HOME, RUNNER_TEMP, file commands, scripts, action copies; removed at job end. */
  temp: string;
  summaryFile: string;
  baseEnv: Record<string, string>;
  exportedEnv: Record<string, string>;
  extraPath: string[];
  masker: Masker;
  steps: Record<string, StepRecord>;
  posts: PostHook[];
  /** Pres run at job start, by step key. */
  pres: Map<string, HoistedPre>;
  /** Output of those pres not yet shown: it leads the step's own output (or the job finalizer's). */
  preOutput: Map<string, string[]>;
  github: Record<string, unknown>;
  runner: Record<string, ContextValue>;
  secrets: Record<string, string>;
  /** Remote action copies made for this job, by `owner/repo@sha`. */
  actionCopies: Map<string, Promise<string>>;
  actionNames: Map<string, number>;
  /**
   * Keys of the job-level steps (and pres) whose latest result is a failure.
   * A retried step that then succeeds leaves this set, so only final results
   * make `job.status` / `failure()` fail.
   */
  failedSteps: Set<string>;
  /** Keys of the job-level steps handed to runStep (the others were skipped by the scheduler). */
  ran: Set<string>;
  /**
   * The job was cancelled (Ctrl-C, SIGTERM, fail-fast): `cancelled()` is true and `job.status` is
   * `cancelled` from then on, and a step stopped by it is cancelled, not failed, as on GitHub.
   */
  readonly cancelled: boolean;
  /** The job's GitHub `defaults.run` (shell, working-directory) for its `run:` steps. */
  runDefaults: RunDefaults;
  /** Why the job could not be set up (an action not found at job start): none of its steps runs. */
  setupError?: string;
  /** setupError in a few words (an action not found, a DNS lookup that failed), for the steps it keeps from running. */
  setupReason?: string;
  /** When the cancel's grace period ends (set when the cancel is first seen): steps and posts after it share it. */
  graceEndsAt?: number;
}

/**
 * An empty record for keys users choose (step IDs, variable names, inputs, outputs): without a prototype,
 * so `__proto__` is a key like any other and not the object's prototype.
 */
export function userRecord<T = string>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A plain object with the keys of `record` (`__proto__` too, as an own key): what callers outside the runner get. */
export function plainRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record));
}

/** Has the job failed so far (some step's final result is a failure)? */
export function jobFailed(state: JobState): boolean {
  return state.failedSteps.size > 0;
}

/** Folder name for a job: readable, safe for any ID, unique per ID. */
export function jobFolderName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80) || "job";
  return `${readable}-${createHash("sha256").update(jobId).digest("hex").slice(0, 8)}`;
}

/** Where a job's step summary lands (kept after the run, for `orun logs`). */
export function jobSummaryPath(scratchDir: string, jobId: string): string {
  return path.join(scratchDir, "github-actions", jobFolderName(jobId), "summary.md");
}

// ORUN_SECRET_<NAME> is the secrets context: as on GitHub, a secret reaches a step (or a third-party
// action) only where an expression maps it (`env: { KEY: ${{ secrets.KEY }} }`), never through the environment.
const HOST_ONLY = /^(INPUT_|STATE_|ORUN_SECRET_)/;
/**
 * Variables the runner sets per step (or leaves unset): the host's values — an
 * outer GitHub step running orun, from inside an action perhaps — must not leak in.
 */
const PER_STEP_VARS = [
  "GITHUB_ENV",
  "ORUN_ENV",
  "GITHUB_OUTPUT",
  "GITHUB_PATH",
  "GITHUB_STATE",
  "GITHUB_STEP_SUMMARY",
  "GITHUB_ACTION",
  "GITHUB_ACTION_PATH",
  "GITHUB_ACTION_REPOSITORY",
  "GITHUB_ACTION_REF",
];

export async function createJobState(job: JobContext, repo: RepoInfo, hostEnv: NodeJS.ProcessEnv): Promise<JobState> {
  const jobId = job.job.id;
  const runDefaults = jobRunDefaults(job.job);
  const folder = path.join(job.run.scratchDir, "github-actions", jobFolderName(jobId));
  const temp = path.join(folder, "tmp");
  await rm(temp, { recursive: true, force: true });
  const home = path.join(temp, "home");
  await mkdir(home, { recursive: true });
  const summaryFile = path.join(folder, "summary.md");
  await rm(summaryFile, { force: true });

  const env: Record<string, string | undefined> = { ...hostEnv };
  let eventPath = path.join(temp, "event.json");
  let event: unknown;
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8"));
      eventPath = env.GITHUB_EVENT_PATH;
    } catch {
      event = undefined;
    }
  }
  const [owner, name] = repo.repository.split("/");
  const refName = repo.ref.replace(/^refs\/(heads|tags)\//, "");
  if (event === undefined) {
    event = { ref: repo.ref, after: repo.sha, deleted: false, repository: { default_branch: refName, full_name: repo.repository, name, owner: { login: owner } } };
    await writeFile(eventPath, JSON.stringify(event, null, 2));
  }
  const workspace = hostEnv.GITHUB_WORKSPACE || job.run.workspaceDir;
  const github = buildGithubContext({ repo, env, jobId, workspace, eventPath, event, runId: String(Date.now()) });

  const secrets = userRecord();
  for (const [name, value] of secretsContext(hostEnv)) secrets[name] = value;
  // Each value is told to the run's view too: under GitHub Actions it has GitHub mask it in later workflow steps.
  // A real GitHub runner's service tokens (orun running inside a GitHub job) reach steps as on GitHub, masked as there.
  const masker = new Masker(job.run.onMask);
  for (const value of hostSecretValues(hostEnv)) masker.add(value);

  const baseEnv = userRecord();
  for (const [key, value] of Object.entries(hostEnv)) {
    if (value !== undefined && !HOST_ONLY.test(key) && !PER_STEP_VARS.includes(key)) baseEnv[key] = value;
  }
  const debug = hostEnv.ACTIONS_STEP_DEBUG === "true" || hostEnv.RUNNER_DEBUG === "1";
  const npmPrefix = path.join(home, ".npm-global");
  Object.assign(baseEnv, githubEnv(github), {
    HOME: home,
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: toolCacheDir(),
    RUNNER_OS: runnerOs(),
    RUNNER_ARCH: runnerArch(),
    RUNNER_NAME: "orun",
    RUNNER_ENVIRONMENT: "self-hosted",
    RUNNER_WORKSPACE: path.dirname(workspace),
    RUNNER_TRACKING_ID: `orun_${randomBytes(8).toString("hex")}`,
    RUNNER_PERFLOG: "/dev/null",
    ...(debug ? { RUNNER_DEBUG: "1" } : {}),
    npm_config_prefix: npmPrefix,
    PATH: [path.join(npmPrefix, "bin"), hostEnv.PATH ?? ""].filter(Boolean).join(path.delimiter),
  });
  return {
    jobId,
    folder,
    temp,
    summaryFile,
    baseEnv,
    exportedEnv: userRecord(),
    extraPath: [],
    masker,
    steps: userRecord<StepRecord>(),
    posts: [],
    pres: new Map(),
    preOutput: new Map(),
    github,
    runner: { os: runnerOs(), arch: runnerArch(), name: "orun", temp, tool_cache: toolCacheDir(), environment: "self-hosted", debug: debug ? "1" : "" },
    secrets,
    actionCopies: new Map(),
    actionNames: new Map(),
    failedSteps: new Set(),
    ran: new Set(),
    runDefaults,
    get cancelled() {
      return job.signal.aborted;
    },
  };
}

export async function removeJobTemp(state: JobState): Promise<void> {
  await rm(state.temp, { recursive: true, force: true }).catch(() => undefined);
}


