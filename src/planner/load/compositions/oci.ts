// OCI composition sources: a package pushed to a registry as an artifact, e.g.
//   oras push ghcr.io/acme/stack:v1 pkg.tgz:application/vnd.orun.stack.compositions.layer.v1+tar+gzip
// The OCI distribution API is spoken over fetch: the manifest the reference
// names is resolved (its digest is the source's digest), the package layer is
// picked by media type and downloaded, verified against its own digest, and
// extracted like an archive source. A reference pinned by digest that is
// already in the cache needs no registry at all.

import { createHash } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { OrunError, errorMessage } from "../../../util/errors.js";
import { extractArchive, hasPackageManifest } from "./archive.js";

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

/** Registries on the loopback interface speak plain HTTP (Docker treats them as insecure by default too). */
function baseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, "");
  const loopback = host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
  const endpoint = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return `${loopback ? "http" : "https"}://${endpoint}`;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * `docker login` credentials for a registry from `$DOCKER_CONFIG/config.json`
 * (default ~/.docker): `auths[<registry>].auth` (base64 user:password) or
 * `username`/`password`. Credential helpers (`credsStore`) are not run.
 */
export async function dockerCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryCredentials | undefined> {
  const dir = env.DOCKER_CONFIG || path.join(os.homedir(), ".docker");
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(await fs.readFile(path.join(dir, "config.json"), "utf8")) as typeof config;
  } catch {
    return undefined;
  }
  const keys = registry === "docker.io" ? ["docker.io", "https://index.docker.io/v1/", "index.docker.io"] : [registry, `https://${registry}`, `http://${registry}`];
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const split = decoded.indexOf(":");
      if (split > 0) return { username: decoded.slice(0, split), password: decoded.slice(split + 1) };
    }
  }
  return undefined;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  if (!match) return { scheme: "", params };
  for (const m of match[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
  return { scheme: match[1]!.toLowerCase(), params };
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
}

/** The distribution API of one repository, with the token dance registries such as ghcr.io require. */
export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    private readonly ref: OciReference,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The manifest the reference names: its digest (what the reference pins), media type and parsed body. */
  async manifest(reference: string): Promise<{ digest: string; mediaType: string; body: Record<string, unknown> }> {
    const res = await this.get(`/v2/${this.ref.repository}/manifests/${reference}`, ACCEPT_MANIFESTS, REQUEST_TIMEOUT_MS);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, "manifest");
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && digest !== reference) throw new OrunError(`the registry sent a manifest whose digest is ${digest}, not ${reference}`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new OrunError("the manifest is not JSON");
    }
    const mediaType = (typeof body.mediaType === "string" ? body.mediaType : undefined) ?? res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    return { digest, mediaType, body };
  }

  /** Streams a blob into `file`, verifying its size and digest. */
  async download(blob: Descriptor, file: string): Promise<void> {
    if (!DIGEST.test(blob.digest)) throw new OrunError(`unsupported layer digest "${blob.digest}" (sha256 only)`);
    if (blob.size !== undefined && blob.size > MAX_LAYER_BYTES) throw new OrunError(`the package layer is ${blob.size} bytes, over the ${MAX_LAYER_BYTES}-byte limit`);
    const res = await this.get(`/v2/${this.ref.repository}/blobs/${blob.digest}`, "*/*", DOWNLOAD_TIMEOUT_MS);
    if (!res.body) throw new OrunError("the registry sent an empty blob");
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > MAX_LAYER_BYTES) return done(new OrunError(`the package layer is over the ${MAX_LAYER_BYTES}-byte limit`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
    const digest = `sha256:${hash.digest("hex")}`;
    if (digest !== blob.digest) throw new OrunError(`the layer's content has digest ${digest}, not ${blob.digest} as the manifest says`);
    if (blob.size !== undefined && size !== blob.size) throw new OrunError(`the layer is ${size} bytes, not ${blob.size} as the manifest says`);
  }

  private async get(pathname: string, accept: string, timeoutMs: number): Promise<Response> {
    const url = `${baseUrl(this.ref.registry)}${pathname}`;
    let res = await this.send(url, accept, timeoutMs);
    if (res.status === 401) {
      const challenge = res.headers.get("www-authenticate");
      await res.body?.cancel();
      if (!challenge) throw new OrunError(`${url}: 401 Unauthorized without a WWW-Authenticate challenge`);
      this.authorization = await this.authorize(challenge, timeoutMs);
      res = await this.send(url, accept, timeoutMs);
    }
    if (!res.ok) {
      const detail = await registryError(res);
      const hint = res.status === 401 || res.status === 403 ? " (log in with `docker login " + this.ref.registry + "`: orun reads its credentials)" : "";
      throw new OrunError(`${url}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}${hint}`);
    }
    return res;
  }

  private async send(url: string, accept: string, timeoutMs: number): Promise<Response> {
    try {
      return await this.fetchImpl(url, {
        headers: { accept, ...(this.authorization ? { authorization: this.authorization } : {}) },
        redirect: "follow",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason = errorMessage((err as { cause?: unknown }).cause ?? err);
      // fetch refuses the ports browsers block (6000, 6665–6669, …) with a bare "bad port".
      throw new OrunError(`${url}: ${reason === "bad port" ? `port ${new URL(url).port} is one fetch refuses to contact; serve the registry on another port` : reason}`);
    }
  }

  /** Answers a challenge: Basic with the credentials, Bearer with a token from the realm (anonymous without credentials). */
  private async authorize(header: string, timeoutMs: number): Promise<string> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.credentials ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}` : undefined;
    if (scheme === "basic") {
      if (!basic) throw new OrunError(`${this.ref.registry} requires a login (log in with \`docker login ${this.ref.registry}\`: orun reads its credentials)`);
      return basic;
    }
    if (scheme !== "bearer" || !params.realm) throw new OrunError(`${this.ref.registry}: unsupported authentication challenge "${header}"`);
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set("service", params.service);
    realm.searchParams.set("scope", params.scope ?? `repository:${this.ref.repository}:pull`);
    let res: Response;
    try {
      res = await this.fetchImpl(realm, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new OrunError(`token from ${realm.origin}${realm.pathname}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
    }
    if (!res.ok) {
      const detail = await registryError(res);
      throw new OrunError(`token from ${realm.origin}${realm.pathname}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}`);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
    if (!token) throw new OrunError(`token from ${realm.origin}${realm.pathname}: the answer holds no token`);
    return `Bearer ${token}`;
  }
}

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > limit) throw new OrunError(`the ${what} is ${length} bytes, over the ${limit}-byte limit`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > limit) throw new OrunError(`the ${what} is over the ${limit}-byte limit`);
  return bytes;
}

/** The first error of an OCI error body (`{"errors":[{"code","message"}]}`), if any. */
async function registryError(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
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
  const layers = Array.isArray(manifest.layers) ? (manifest.layers as Descriptor[]).filter((l) => l && typeof l.digest === "string") : [];
  for (const type of PACKAGE_LAYER_TYPES) {
    const layer = layers.find((l) => l.mediaType === type);
    if (layer) return layer;
  }
  if (!layers[0]) throw new OrunError("the manifest has no layers");
  return layers[0];
}

export interface PulledPackage {
  /** Extracted package root (holds stack.yaml or orun.yaml). */
  dir: string;
  /** Digest of the manifest the reference names: `sha256:<hex>`. */
  digest: string;
}

export interface PullOptions {
  /** Content-addressed cache root: the package lands in `<cacheRoot>/<digest hex>/`. */
  cacheRoot: string;
  /** The source's `digest:` pin; checked against the manifest before anything is downloaded. */
  pin?: string;
  /** Names the pin-mismatch error (the caller words it as the spec does). */
  onPinMismatch: (expected: string, actual: string) => never;
  credentials?: RegistryCredentials;
  fetch?: typeof fetch;
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

/** Resolves `ref`, then downloads and extracts its package unless the cache has it. */
export async function pullPackage(ref: OciReference, options: PullOptions): Promise<PulledPackage> {
  // Pinned by digest and already extracted: nothing to ask the registry.
  const pinned = ref.digest ?? (options.pin && DIGEST.test(options.pin) && !ref.tag ? options.pin : undefined);
  if (pinned) {
    if (options.pin && options.pin !== pinned) options.onPinMismatch(options.pin, pinned);
    const cached = path.join(options.cacheRoot, pinned.slice("sha256:".length));
    if (await hasPackageManifest(cached)) return { dir: cached, digest: pinned };
  }
  const client = new RegistryClient(ref, options.credentials, options.fetch);
  let resolved: Awaited<ReturnType<RegistryClient["manifest"]>>;
  let manifest: Record<string, unknown>;
  try {
    resolved = await client.manifest(ref.digest ?? ref.tag!);
    manifest = resolved.body;
    if (resolved.mediaType === MANIFEST_TYPES.ociIndex || resolved.mediaType === MANIFEST_TYPES.dockerList) {
      // An index (several platforms): a composition package is platform-neutral, so its first manifest.
      const first = (Array.isArray(manifest.manifests) ? (manifest.manifests as Descriptor[]) : [])[0];
      if (!first || typeof first.digest !== "string" || !DIGEST.test(first.digest)) throw new OrunError("the image index lists no manifest");
      manifest = (await client.manifest(first.digest)).body;
    }
  } catch (err) {
    throw new OciStepError("resolve", err);
  }
  if (options.pin && options.pin !== resolved.digest) options.onPinMismatch(options.pin, resolved.digest);
  const dest = path.join(options.cacheRoot, resolved.digest.slice("sha256:".length));
  if (await hasPackageManifest(dest)) return { dir: dest, digest: resolved.digest };
  try {
    const layer = packageLayer(manifest);
    await fs.mkdir(options.cacheRoot, { recursive: true });
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
