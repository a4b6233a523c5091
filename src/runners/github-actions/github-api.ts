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
  let res: Response;
  try {
    res = await proxyFetch(target, { headers: headers(endpoint), redirect: "follow", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = proxyRefusal(err, target) ?? cause?.code ?? cause?.message ?? errorMessage(err);
    throw new Error(`${what}: cannot reach ${target}: ${reason}`);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).slice(0, 4096).trim();
    throw new Error(`${what}: ${target} answered ${res.status}${body ? `: ${body}` : ""}`);
  }
  return res;
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
  await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(file));
}
