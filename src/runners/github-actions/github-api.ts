// The two GitHub REST endpoints remote actions need: resolve a ref to a
// commit SHA, and download the repository tarball of a commit. Requests go
// through the proxy HTTPS_PROXY/HTTP_PROXY/NO_PROXY name (src/util/proxy-fetch).
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { errorMessage } from "../../util/errors.js";
import { processProxyFetch, proxyRefusal } from "../../util/proxy-fetch.js";

export const DEFAULT_API_URL = "https://api.github.com";
const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiEndpoint {
  apiUrl: string;
  token?: string;
  /** How long a request may go unanswered (the spec's 30 s; tests shorten it). */
  timeoutMs?: number;
}

/**
 * The API could not be reached at all (no DNS answer, no connection, no reply): the cache's offline hint applies.
 * `reason`: what failed in a few words (host and error code), for a line that cannot hold the whole message.
 */
export class ApiUnreachableError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The API answered with an error status (404: the repository or ref does not exist, or cannot be read). */
export class ApiStatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function headers(endpoint: ApiEndpoint): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/vnd.github+json", "User-Agent": "orun", "X-GitHub-Api-Version": "2022-11-28" };
  if (endpoint.token) h.Authorization = `Bearer ${endpoint.token}`;
  return h;
}

function url(endpoint: ApiEndpoint, route: string): string {
  return `${endpoint.apiUrl.replace(/\/+$/, "")}${route}`;
}

async function request(endpoint: ApiEndpoint, route: string, what: string): Promise<Response> {
  const target = url(endpoint, route);
  let proxyFetch: typeof fetch;
  try {
    proxyFetch = processProxyFetch();
  } catch (err) {
    throw new Error(`${what}: ${errorMessage(err)}`);
  }
  const timeoutMs = endpoint.timeoutMs ?? REQUEST_TIMEOUT_MS;
  let res: Response;
  try {
    res = await proxyFetch(target, { headers: headers(endpoint), redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const why = unreachable(err, target, timeoutMs);
    throw new ApiUnreachableError(`${what}: ${why.message}`, why.reason);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).slice(0, 4096).trim();
    throw new ApiStatusError(`${what}: ${target} answered ${res.status}${body ? `: ${body}` : ""}${statusHint(res.status, endpoint)}`, res.status);
  }
  return res;
}

/**
 * Why a request got no answer, in words: a failed DNS lookup (usually no network), a timeout, a refused connection.
 * `reason` says it without the URL: the host and the error code.
 */
function unreachable(err: unknown, target: string, timeoutMs: number): { message: string; reason: string } {
  const host = hostOf(target);
  const refusal = proxyRefusal(err, target);
  if (refusal) return { message: `cannot reach ${target}: ${refusal}`, reason: `cannot reach ${host}: ${refusal}` };
  if ((err as { name?: string }).name === "TimeoutError") {
    return { message: `no answer from ${target} in ${formatSeconds(timeoutMs)}`, reason: `no answer from ${host} in ${formatSeconds(timeoutMs)}` };
  }
  const cause = (err as { cause?: { code?: string; message?: string; hostname?: string } }).cause;
  const code = cause?.code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const lookup = `the DNS lookup of ${cause?.hostname ?? host} failed`;
    return { message: `cannot reach ${target}: ${lookup} (${code}; no network?)`, reason: `${lookup} (${code})` };
  }
  const why = code ?? cause?.message ?? errorMessage(err);
  return { message: `cannot reach ${target}: ${why}`, reason: `cannot reach ${host} (${why})` };
}

/** A 404 from the API is also what a private repository looks like without a token that can read it. */
function statusHint(status: number, endpoint: ApiEndpoint): string {
  if (status !== 404) return "";
  return endpoint.token
    ? " (a misspelt repository or ref, or a private repository the GITHUB_TOKEN given cannot read)"
    : " (a misspelt repository or ref, or a private repository? set GITHUB_TOKEN to a token that can read it)";
}

function hostOf(target: string): string {
  try {
    return new URL(target).hostname;
  } catch {
    return target;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const enc = encodeURIComponent;

export async function fetchCommitSha(endpoint: ApiEndpoint, owner: string, repo: string, ref: string): Promise<string> {
  const what = `resolve ${owner}/${repo}@${ref}`;
  const res = await request(endpoint, `/repos/${enc(owner)}/${enc(repo)}/commits/${enc(ref)}`, what);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${what}: the API answered with invalid JSON`);
  }
  const sha = (body as { sha?: unknown })?.sha;
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/i.test(sha)) throw new Error(`${what}: the API answer has no valid commit sha`);
  return sha.toLowerCase();
}

export async function downloadTarball(endpoint: ApiEndpoint, owner: string, repo: string, sha: string, file: string): Promise<void> {
  const res = await request(endpoint, `/repos/${enc(owner)}/${enc(repo)}/tarball/${enc(sha)}`, `download ${owner}/${repo}@${sha}`);
  if (!res.body) throw new Error(`download ${owner}/${repo}@${sha}: empty response`);
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(file));
  } catch (err) {
    if ((err as { name?: string }).name !== "TimeoutError") throw err;
    const timeoutMs = endpoint.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const unfinished = `did not finish in ${formatSeconds(timeoutMs)}`;
    throw new ApiUnreachableError(`download ${owner}/${repo}@${sha}: the download from ${res.url} ${unfinished}`, `the download from ${hostOf(res.url)} ${unfinished}`);
  }
}
