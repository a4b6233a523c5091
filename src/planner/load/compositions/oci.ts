// OCI composition sources: a package pushed to a registry as an artifact, e.g.
//   oras push ghcr.io/acme/stack:v1 pkg.tgz:application/vnd.orun.stack.compositions.layer.v1+tar+gzip
// The OCI distribution API is spoken over fetch: the manifest the reference
// names is resolved (its digest is the source's digest), the package layer is
// picked by media type and downloaded, verified against its own digest, and
// extracted like an archive source. A reference pinned by digest that is
// already in the cache needs no registry at all.

import { createHash } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { OrunError, errorMessage } from "../../../util/errors.js";
import { proxyAwareFetch, proxyRefusal } from "../../../util/proxy-fetch.js";
import { exists, extractArchive } from "./archive.js";
import type { CredentialLookup } from "./registry-credentials.js";

/** Layer media types of a composition package, most specific first (spec 11 §3.1); otherwise the first layer. */
export const PACKAGE_LAYER_TYPES = [
  "application/vnd.orun.stack.compositions.layer.v1+tar+gzip",
  "application/vnd.sourceplane.orun.composition.package.layer.v1.tar+gzip",
] as const;

const MANIFEST_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;
const ACCEPT_MANIFESTS = Object.values(MANIFEST_TYPES).join(", ");

/** A package is a few YAML files; anything near this size is not one. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;
const MAX_LAYER_BYTES = 512 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const DOWNLOAD_TIMEOUT_MS = 300_000;

export interface OciReference {
  /** Host[:port] as written (`docker.io` is contacted at registry-1.docker.io). */
  registry: string;
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses a reference as orun v2.3 normalises it: `oci://` is dropped; a first
 * segment that is not a host (no `.` or `:`, not `localhost`) means ghcr.io;
 * no tag and no digest means `:latest`. `sourceplane/x` → ghcr.io/sourceplane/x:latest.
 */
export function parseOciReference(raw: string): OciReference {
  const bad = (why: string): never => {
    throw new OrunError(`invalid oci reference "${raw}": ${why}`);
  };
  let rest = raw.trim().replace(/^oci:\/\//, "");
  if (!rest) bad("it is empty");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(`the digest must be sha256: and 64 lowercase hex digits, got "${digest}"`);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const isHost = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = isHost ? first : "ghcr.io";
  let repository = isHost ? rest.slice(slash + 1) : rest;
  let tag: string | undefined;
  const colon = repository.lastIndexOf(":");
  if (colon > repository.lastIndexOf("/")) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    if (!TAG.test(tag)) bad(`"${tag}" is not a valid tag`);
  }
  if (!repository) bad("it names no repository");
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) bad(`"${repository}" is not a valid repository name (lowercase letters, digits and . _ - separators)`);
  if (!tag && !digest) tag = "latest";
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function formatOciReference(ref: OciReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/**
 * The registry's base URL. Loopback registries speak plain HTTP (Docker treats them as insecure by default
 * too), and so do the hosts ORUN_INSECURE_REGISTRIES lists (`host[:port]`, comma-separated; Docker's
 * insecure-registries, oras' --plain-http).
 */
export function registryBaseUrl(registry: string, env: NodeJS.ProcessEnv = process.env): string {
  const host = registry.replace(/:\d+$/, "");
  const loopback = host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
  const insecure = (env.ORUN_INSECURE_REGISTRIES ?? "").split(",").map((h) => h.trim().toLowerCase()).includes(registry.toLowerCase());
  const endpoint = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return `${loopback || insecure ? "http" : "https"}://${endpoint}`;
}

/**
 * The challenges of a WWW-Authenticate header (RFC 7235: several may share one header, as `Headers.get`
 * joins them): each scheme with its parameters.
 */
export function parseChallenges(header: string): { scheme: string; params: Record<string, string> }[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const spaces = (): void => {
    while (i < header.length && (header[i] === " " || header[i] === "\t")) i++;
  };
  while (i < header.length) {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
    const word = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(header.slice(i))?.[0];
    if (!word) break;
    i += word.length;
    spaces();
    if (header[i] !== "=" || out.length === 0) {
      out.push({ scheme: word.toLowerCase(), params: {} });
      continue;
    }
    i++; // "="
    spaces();
    let value = "";
    if (header[i] === '"') {
      for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === "\\" && i + 1 < header.length ? header[++i] : header[i];
      i++; // closing quote
    } else {
      value = /^[^,\s]*/.exec(header.slice(i))![0];
      i += value.length;
    }
    out[out.length - 1]!.params[word.toLowerCase()] = value;
  }
  return out;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  artifactType?: string;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

/** The distribution API of one repository, with the token dance registries such as ghcr.io require. */
export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: string;
  /** Looked up only when the registry asks (a credential helper may prompt, or be slow). */
  private login: CredentialLookup = { note: "no login was needed" };

  constructor(
    private readonly ref: OciReference,
    private readonly lookupLogin: () => Promise<CredentialLookup>,
    fetchImpl?: typeof fetch,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.base = registryBaseUrl(ref.registry, env);
    this.fetchImpl = fetchImpl ?? proxyAwareFetch(env);
  }

  private readonly fetchImpl: typeof fetch;

  /** The manifest a tag or digest names: its digest (what the reference pins), media type and parsed body. */
  async manifest(reference: string): Promise<{ digest: string; mediaType: string; body: Record<string, unknown> }> {
    const url = `${this.base}/v2/${this.ref.repository}/manifests/${reference}`;
    const res = await this.get(url, ACCEPT_MANIFESTS, REQUEST_TIMEOUT_MS);
    const bytes = await this.body(url, res, MAX_MANIFEST_BYTES, "manifest");
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && digest !== reference) throw new OrunError(`${url}: the registry sent a manifest whose digest is ${digest}`);
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new OrunError(`${url}: the answer is not a manifest (${res.headers.get("content-type") ?? "no content type"}, not JSON)`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new OrunError(`${url}: the answer is not a manifest (not a JSON object)`);
    const manifest = body as Record<string, unknown>;
    const mediaType = (typeof manifest.mediaType === "string" ? manifest.mediaType : undefined) ?? res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    return { digest, mediaType, body: manifest };
  }

  /** Streams a blob into `file`, verifying its size and digest (never reading past the size the manifest gives). */
  async download(blob: Descriptor, file: string): Promise<void> {
    const url = `${this.base}/v2/${this.ref.repository}/blobs/${blob.digest}`;
    if (!DIGEST.test(blob.digest)) throw new OrunError(`unsupported layer digest "${blob.digest}" (sha256 only)`);
    if (blob.size !== undefined && blob.size > MAX_LAYER_BYTES) throw new OrunError(`the package layer ${blob.digest} is ${blob.size} bytes, over the ${MAX_LAYER_BYTES}-byte limit`);
    const limit = blob.size ?? MAX_LAYER_BYTES;
    const res = await this.get(url, "*/*", DOWNLOAD_TIMEOUT_MS);
    if (!res.body) throw new OrunError(`${url}: the registry sent an empty blob`);
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) return done(new OrunError(`${url}: the layer is longer than the ${limit} bytes ${blob.size !== undefined ? "the manifest gives" : "allowed"}`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
    } catch (err) {
      throw err instanceof OrunError ? err : new OrunError(`${url}: ${reasonOf(err)}`);
    }
    const digest = `sha256:${hash.digest("hex")}`;
    if (digest !== blob.digest) throw new OrunError(`the layer's content has digest ${digest}, not ${blob.digest} as the manifest says`);
    if (blob.size !== undefined && size !== blob.size) throw new OrunError(`the layer is ${size} bytes, not ${blob.size} as the manifest says`);
  }

  private async get(url: string, accept: string, timeoutMs: number): Promise<Response> {
    let res = await this.send(url, accept, timeoutMs);
    if (res.status === 401 && this.authorization === undefined) {
      const challenge = res.headers.get("www-authenticate");
      await res.body?.cancel();
      if (!challenge) throw new OrunError(`${url}: 401 Unauthorized without a WWW-Authenticate challenge`);
      this.authorization = await this.authorize(challenge, timeoutMs);
      res = await this.send(url, accept, timeoutMs);
    }
    if (!res.ok) {
      const detail = await errorDetail(res);
      const refused = res.status === 401 || res.status === 403 ? ` (${this.loginHint()})` : "";
      throw new OrunError(`${url}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}${refused}`);
    }
    return res;
  }

  private loginHint(): string {
    return this.login.credentials || this.login.identityToken ? `the registry refused ${this.login.note}` : `${this.login.note}; log in with \`docker login ${this.ref.registry}\``;
  }

  /** A GET, or a form POST when `form` is given (the refresh-token grant). */
  private async send(url: string | URL, accept: string, timeoutMs: number, authorization = this.authorization, form?: URLSearchParams): Promise<Response> {
    try {
      return await this.fetchImpl(url, {
        ...(form ? { method: "POST", body: form.toString() } : {}),
        headers: { accept, ...(authorization ? { authorization } : {}), ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
        redirect: form ? "error" : "follow",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new OrunError(`${String(url)}: ${reasonOf(err, url, timeoutMs)}`);
    }
  }

  /** A body read with a cap on the stream itself (a chunked answer has no length to check first). */
  private async body(url: string, res: Response, limit: number, what: string): Promise<Buffer> {
    try {
      return await readCapped(res, limit, what);
    } catch (err) {
      throw err instanceof OrunError ? new OrunError(`${url}: ${err.message}`) : new OrunError(`${url}: ${reasonOf(err, url, REQUEST_TIMEOUT_MS)}`);
    }
  }

  /** Answers a challenge: Basic with the credentials, Bearer with a token from the realm (anonymous without credentials). */
  private async authorize(header: string, timeoutMs: number): Promise<string> {
    const challenges = parseChallenges(header);
    this.login = await this.lookupLogin();
    const bearer = challenges.find((c) => c.scheme === "bearer");
    const basicChallenge = challenges.find((c) => c.scheme === "basic");
    const credentials = this.login.credentials;
    const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` : undefined;
    if (!bearer) {
      if (!basicChallenge) throw new OrunError(`${this.ref.registry}: unsupported authentication challenge "${header}"`);
      if (this.login.identityToken) throw new OrunError(`${this.ref.registry} asks for Basic credentials, but the login is ${this.login.note}, which works only with a token service`);
      if (!basic) throw new OrunError(`${this.ref.registry} requires a login (${this.loginHint()})`);
      return basic;
    }
    if (!bearer.params.realm) throw new OrunError(`${this.ref.registry}: a Bearer challenge without a realm: "${header}"`);
    let realm: URL;
    try {
      realm = new URL(bearer.params.realm, this.base);
    } catch {
      throw new OrunError(`${this.ref.registry}: the token realm "${bearer.params.realm}" is not a URL`);
    }
    // Credentials (even an anonymous token request) never go in clear to a token service of an HTTPS registry.
    if (this.base.startsWith("https:") && realm.protocol !== "https:") {
      throw new OrunError(`${this.ref.registry} sends its token requests to ${realm.origin}, which is not HTTPS; refusing to send credentials there`);
    }
    const service = bearer.params.service;
    const scope = bearer.params.scope ?? `repository:${this.ref.repository}:pull`;
    const where = `token from ${realm.origin}${realm.pathname}`;
    let res: Response;
    if (this.login.identityToken) {
      // OAuth2 refresh-token grant (distribution's token spec, as docker and oras do with an identity token).
      const form = new URLSearchParams({ grant_type: "refresh_token", ...(service ? { service } : {}), scope, client_id: "orun", refresh_token: this.login.identityToken });
      res = await this.send(realm, "application/json", timeoutMs, undefined, form);
    } else {
      if (service) realm.searchParams.set("service", service);
      realm.searchParams.set("scope", scope);
      res = await this.send(realm, "application/json", timeoutMs, basic);
    }
    if (!res.ok) {
      const detail = await errorDetail(res);
      const refused = res.status === 401 || res.status === 403 ? ` (${this.loginHint()})` : "";
      throw new OrunError(`${where}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}${refused}`);
    }
    let answer: { token?: unknown; access_token?: unknown } = {};
    try {
      answer = JSON.parse((await readCapped(res, MAX_TOKEN_BYTES, "token answer")).toString("utf8")) as typeof answer;
    } catch (err) {
      if (err instanceof OrunError) throw new OrunError(`${where}: ${err.message}`);
    }
    const token = typeof answer.token === "string" ? answer.token : typeof answer.access_token === "string" ? answer.access_token : undefined;
    if (!token) throw new OrunError(`${where}: the answer holds no token`);
    return `Bearer ${token}`;
  }
}

/** What went wrong with a request, in words: fetch hides the cause under "fetch failed". */
function reasonOf(err: unknown, url?: string | URL, timeoutMs?: number): string {
  const e = err as { name?: string; cause?: unknown };
  if (e?.name === "TimeoutError" || (e?.cause as { name?: string } | undefined)?.name === "TimeoutError") return `no answer within ${(timeoutMs ?? 0) / 1000}s`;
  const refused = proxyRefusal(err, url, "the registry");
  if (refused) return refused;
  // undici nests the real reason (fetch failed → Request was cancelled → …).
  let inner: unknown = err;
  while ((inner as { cause?: unknown } | undefined)?.cause !== undefined) inner = (inner as { cause: unknown }).cause;
  const reason = errorMessage(inner);
  const { code, hostname, address, port } = inner as { code?: string; hostname?: string; address?: string; port?: number };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the DNS lookup of ${hostname ?? (url ? new URL(url).hostname : "the registry")} failed (${code}; a misspelt registry host, or no network?)`;
  if (code === "ECONNREFUSED") return `connection refused (ECONNREFUSED): no registry is listening at ${address && port ? `${address.includes(":") ? `[${address}]` : address}:${port}` : url ? new URL(url).host : "its address"}`;
  if (reason === "bad port" && url) return `port ${new URL(url).port} is one fetch refuses to contact; serve the registry on another port`;
  if (/wrong version number|packet length too long/i.test(reason) && url) {
    const host = new URL(url).host;
    return `the registry does not speak HTTPS (${reason.split(":").pop()}); if it is a plain-HTTP registry, add ${host} to ORUN_INSECURE_REGISTRIES`;
  }
  return reason;
}

async function readCapped(res: Response, limit: number, what: string): Promise<Buffer> {
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > limit) {
    await res.body?.cancel();
    throw new OrunError(`the ${what} is ${length} bytes, over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      await res.body.cancel().catch(() => undefined);
      throw new OrunError(`the ${what} is over the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The first error of an OCI error body (`{"errors":[{"code","message"}]}`), else the start of the text. */
async function errorDetail(res: Response): Promise<string> {
  const text = (await readCapped(res, MAX_ERROR_BYTES, "error body").catch(() => Buffer.alloc(0))).toString("utf8");
  try {
    const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(" ");
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 200);
}

/** The package layer of a manifest: by media type (PACKAGE_LAYER_TYPES), else the first. */
export function packageLayer(manifest: Record<string, unknown>): Descriptor {
  if (manifest.schemaVersion === 1) throw new OrunError("the manifest is a Docker schema 1 manifest, which orun does not read; push the package as an OCI artifact");
  // OCI 1.1's short-lived artifact manifest lists `blobs` instead of `layers`.
  const listed = Array.isArray(manifest.layers) ? manifest.layers : Array.isArray(manifest.blobs) ? manifest.blobs : [];
  const layers = (listed as Descriptor[]).filter((l) => l && typeof l.digest === "string");
  for (const type of PACKAGE_LAYER_TYPES) {
    const layer = layers.find((l) => l.mediaType === type);
    if (layer) return layer;
  }
  if (!layers[0]) throw new OrunError(`the manifest (${String(manifest.mediaType ?? "no media type")}) lists no layers`);
  return layers[0];
}

const isIndex = (mediaType: string): boolean => mediaType === MANIFEST_TYPES.ociIndex || mediaType === MANIFEST_TYPES.dockerList;

/**
 * The manifest of an index that holds the package: one whose artifact type is a composition package, else
 * the first that is not an attestation (buildx adds those, for platform unknown/unknown).
 */
export function packageEntry(index: Record<string, unknown>): Descriptor {
  const entries = (Array.isArray(index.manifests) ? (index.manifests as Descriptor[]) : []).filter((m) => m && typeof m.digest === "string" && DIGEST.test(m.digest));
  const attestation = (m: Descriptor): boolean => m.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" || (m.platform?.os === "unknown" && m.platform?.architecture === "unknown");
  const chosen = entries.find((m) => m.artifactType !== undefined && /orun/.test(m.artifactType)) ?? entries.find((m) => !attestation(m));
  if (!chosen) throw new OrunError("the image index lists no manifest that could hold the package");
  return chosen;
}

export interface PulledPackage {
  /** Extracted package root (holds stack.yaml or orun.yaml). */
  dir: string;
  /** Digest of the manifest the reference names: `sha256:<hex>`. */
  digest: string;
}

export interface PullOptions {
  /** Content-addressed cache root (cache.ts): the package lands in `<cacheRoot>/<digest hex>/`. */
  cacheRoot: string;
  /** The source's `digest:` pin; checked against the manifest before anything is downloaded. */
  pin?: string;
  /** Names the pin-mismatch error (the caller words it as the spec does). */
  onPinMismatch: (expected: string, actual: string) => never;
  /** Finds the `docker login` to answer the registry's challenge with (registry-credentials.ts). */
  login?: () => Promise<CredentialLookup>;
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
}

/** Step names for error messages: resolve (manifest) failures vs pull (layer) failures. */
export class OciStepError extends OrunError {
  constructor(
    readonly step: "resolve" | "pull",
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

/**
 * Resolves `ref`, then downloads and extracts its package unless the cache has it. A reference pinned
 * by digest (`@sha256:…`, or the source's `digest:`) whose package is in the cache needs no registry:
 * the cache holds only verified content (cache.ts).
 */
export async function pullPackage(ref: OciReference, options: PullOptions): Promise<PulledPackage> {
  const pinned = ref.digest ?? (options.pin && DIGEST.test(options.pin) ? options.pin : undefined);
  if (pinned) {
    if (options.pin && options.pin !== pinned) options.onPinMismatch(options.pin, pinned);
    const cached = path.join(options.cacheRoot, pinned.slice("sha256:".length));
    if (await exists(cached)) return { dir: cached, digest: pinned };
  }
  let client: RegistryClient;
  let resolved: Awaited<ReturnType<RegistryClient["manifest"]>>;
  let manifest: Record<string, unknown>;
  try {
    client = new RegistryClient(ref, options.login ?? (() => Promise.resolve({ note: "no docker login was looked up" })), options.fetch, options.env);
    resolved = await client.manifest(ref.digest ?? ref.tag!);
    manifest = resolved.body;
    if (isIndex(resolved.mediaType)) {
      // Several manifests (platforms, attestations): the one that holds the package.
      const inner = await client.manifest(packageEntry(manifest).digest);
      if (isIndex(inner.mediaType)) throw new OrunError(`the image index ${resolved.digest} lists another index; push the package as a single manifest`);
      manifest = inner.body;
    }
  } catch (err) {
    throw new OciStepError("resolve", err);
  }
  if (options.pin && options.pin !== resolved.digest) options.onPinMismatch(options.pin, resolved.digest);
  const dest = path.join(options.cacheRoot, resolved.digest.slice("sha256:".length));
  if (await exists(dest)) return { dir: dest, digest: resolved.digest };
  try {
    const layer = packageLayer(manifest);
    const tmp = await fs.mkdtemp(path.join(options.cacheRoot, ".pull-"));
    try {
      const file = path.join(tmp, "layer.tgz");
      await client.download(layer, file);
      await extractArchive(file, dest);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    throw new OciStepError("pull", err);
  }
  return { dir: dest, digest: resolved.digest };
}
