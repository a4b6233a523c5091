// The `github` context and the GITHUB_* / RUNNER_* variables a real runner
// provides, derived from the workspace's git checkout and the host env
// (values already set by a real GitHub runner win).
import os from "node:os";
import path from "node:path";
import { gitOutput } from "../../util/git.js";
import { DEFAULT_API_URL } from "./github-api.js";

export interface RepoInfo {
  repository: string;
  owner: string;
  ref: string;
  sha: string;
}

/** A git value of the checkout, "" when git cannot say (no repository, no remote, git not installed). */
async function git(cwd: string, args: string[]): Promise<string> {
  return (await gitOutput(cwd, args, { timeoutMs: 5000 })) ?? "";
}

/** `git@github.com:o/r.git`, `https://github.com/o/r(.git)` → `o/r`. */
export function repositoryFromRemote(url: string): string | undefined {
  const m = /(?:[:/])([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m && url.includes("github") ? `${m[1]}/${m[2]}` : undefined;
}

export async function readRepoInfo(workspace: string, env: Record<string, string | undefined>): Promise<RepoInfo> {
  const [remote, branch, head] = await Promise.all([
    env.GITHUB_REPOSITORY ? Promise.resolve("") : git(workspace, ["config", "--get", "remote.origin.url"]),
    env.GITHUB_REF ? Promise.resolve("") : git(workspace, ["rev-parse", "--abbrev-ref", "HEAD"]),
    env.GITHUB_SHA ? Promise.resolve("") : git(workspace, ["rev-parse", "HEAD"]),
  ]);
  const repository = env.GITHUB_REPOSITORY || repositoryFromRemote(remote) || `local/${path.basename(workspace) || "workspace"}`;
  const ref = env.GITHUB_REF || (branch && branch !== "HEAD" ? `refs/heads/${branch}` : "refs/heads/main");
  return { repository, owner: repository.split("/")[0], ref, sha: env.GITHUB_SHA || head || "0".repeat(40) };
}

export function runnerOs(): string {
  return process.platform === "darwin" ? "macOS" : process.platform === "win32" ? "Windows" : "Linux";
}

export function runnerArch(): string {
  return process.arch === "arm64" ? "ARM64" : process.arch === "arm" ? "ARM" : process.arch === "ia32" ? "X86" : "X64";
}

export function toolCacheDir(): string {
  return path.join(os.homedir() || os.tmpdir(), ".orun", "tool-cache");
}

const DEFAULT_SERVER_URL = "https://github.com";

/**
 * server_url, api_url and graphql_url as GitHub derives them: values set
 * explicitly win; otherwise the API follows the server — api.github.com for
 * github.com, api.<host> for GHE.com (data residency), <server>/api/v3 (and
 * <server>/api/graphql) for GitHub Enterprise Server.
 */
export function githubUrls(env: Record<string, string | undefined>): { server_url: string; api_url: string; graphql_url: string } {
  const server = (env.GITHUB_SERVER_URL || DEFAULT_SERVER_URL).replace(/\/+$/, "");
  let host = "";
  try {
    host = new URL(server).hostname.toLowerCase();
  } catch {
    // not a URL: treated like an enterprise server, whose API lives under it
  }
  let api: string;
  let graphql: string;
  if (host === "github.com" || host === "www.github.com") {
    [api, graphql] = [DEFAULT_API_URL, `${DEFAULT_API_URL}/graphql`];
  } else if (host.endsWith(".ghe.com")) {
    const origin = `https://api.${host}`;
    [api, graphql] = [origin, `${origin}/graphql`];
  } else {
    [api, graphql] = [`${server}/api/v3`, `${server}/api/graphql`];
  }
  const explicitApi = env.GITHUB_API_URL?.replace(/\/+$/, "");
  if (explicitApi) graphql = explicitApi.endsWith("/api/v3") ? `${explicitApi.slice(0, -"/v3".length)}/graphql` : `${explicitApi}/graphql`;
  return { server_url: server, api_url: explicitApi || api, graphql_url: env.GITHUB_GRAPHQL_URL || graphql };
}

export interface GithubContextInput {
  repo: RepoInfo;
  env: Record<string, string | undefined>;
  jobId: string;
  workspace: string;
  eventPath: string;
  event: unknown;
  runId: string;
}

export function buildGithubContext(input: GithubContextInput): Record<string, string | unknown> {
  const { repo, env } = input;
  const refType = repo.ref.startsWith("refs/tags/") ? "tag" : "branch";
  const refName = repo.ref.replace(/^refs\/(heads|tags)\//, "");
  return {
    repository: repo.repository,
    repository_owner: repo.owner,
    ref: repo.ref,
    ref_name: refName,
    ref_type: refType,
    sha: repo.sha,
    workflow: env.GITHUB_WORKFLOW || "orun",
    run_id: env.GITHUB_RUN_ID || input.runId,
    run_number: env.GITHUB_RUN_NUMBER || "1",
    run_attempt: env.GITHUB_RUN_ATTEMPT || "1",
    actor: env.GITHUB_ACTOR || env.USER || "orun",
    triggering_actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || env.USER || "orun",
    event_name: env.GITHUB_EVENT_NAME || "workflow_dispatch",
    event: input.event,
    event_path: input.eventPath,
    job: input.jobId,
    workspace: input.workspace,
    ...githubUrls(env),
    token: env.GITHUB_TOKEN ?? "",
    base_ref: env.GITHUB_BASE_REF ?? "",
    head_ref: env.GITHUB_HEAD_REF ?? "",
    retention_days: env.GITHUB_RETENTION_DAYS || "0",
    action: "",
    action_path: "",
    action_repository: "",
    action_ref: "",
  };
}

/** GITHUB_* variables mirrored from the github context. */
export function githubEnv(ctx: Record<string, unknown>): Record<string, string> {
  const s = (k: string): string => String(ctx[k] ?? "");
  return {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_REPOSITORY: s("repository"),
    GITHUB_REPOSITORY_OWNER: s("repository_owner"),
    GITHUB_REF: s("ref"),
    GITHUB_REF_NAME: s("ref_name"),
    GITHUB_REF_TYPE: s("ref_type"),
    GITHUB_SHA: s("sha"),
    GITHUB_WORKFLOW: s("workflow"),
    GITHUB_RUN_ID: s("run_id"),
    GITHUB_RUN_NUMBER: s("run_number"),
    GITHUB_RUN_ATTEMPT: s("run_attempt"),
    GITHUB_ACTOR: s("actor"),
    GITHUB_TRIGGERING_ACTOR: s("triggering_actor"),
    GITHUB_EVENT_NAME: s("event_name"),
    GITHUB_EVENT_PATH: s("event_path"),
    GITHUB_JOB: s("job"),
    GITHUB_WORKSPACE: s("workspace"),
    GITHUB_SERVER_URL: s("server_url"),
    GITHUB_API_URL: s("api_url"),
    GITHUB_GRAPHQL_URL: s("graphql_url"),
    GITHUB_BASE_REF: s("base_ref"),
    GITHUB_HEAD_REF: s("head_ref"),
    GITHUB_RETENTION_DAYS: s("retention_days"),
  };
}
