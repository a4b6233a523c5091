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

/** The API could not be reached at all (no DNS answer, no connection, no reply): the cache's offline hint applies. */
export class ApiUnreachableError extends Error {}

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
    throw new ApiUnreachableError(`${what}: ${unreachable(err, target, timeoutMs)}`);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).slice(0, 4096).trim();
    throw new Error(`${what}: ${target} answered ${res.status}${body ? `: ${body}` : ""}${statusHint(res.status, endpoint)}`);
  }
  return res;
}

/** Why a request got no answer, in words: a failed DNS lookup (usually no network), a timeout, a refused connection. */
function unreachable(err: unknown, target: string, timeoutMs: number): string {
  const refusal = proxyRefusal(err, target);
  if (refusal) return `cannot reach ${target}: ${refusal}`;
  if ((err as { name?: string }).name === "TimeoutError") return `no answer from ${target} in ${formatSeconds(timeoutMs)}`;
  const cause = (err as { cause?: { code?: string; message?: string; hostname?: string } }).cause;
  const code = cause?.code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot reach ${target}: the DNS lookup of ${cause?.hostname ?? hostOf(target)} failed (${code}; no network?)`;
  return `cannot reach ${target}: ${code ?? cause?.message ?? errorMessage(err)}`;
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
    throw new ApiUnreachableError(`download ${owner}/${repo}@${sha}: the download from ${res.url} did not finish in ${formatSeconds(timeoutMs)}`);
  }
}
