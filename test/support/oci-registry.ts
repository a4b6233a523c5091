// A faithful local stand-in for an OCI registry such as ghcr.io (unreachable
// from tests): the distribution API's manifest and blob endpoints, the Bearer
// token dance (anonymous, or Basic credentials at the token endpoint for a
// private registry), OCI error bodies, and blob downloads redirected to a
// separate storage origin that — like S3 behind ghcr.io — rejects requests
// still carrying the registry's Authorization header.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomBytes } from "node:crypto";

export interface PushedLayer {
  mediaType: string;
  bytes: Buffer;
}

export interface RegistryRequest {
  method: string;
  path: string;
  authorization?: string;
}

export interface FakeRegistry {
  /** `127.0.0.1:<port>`: the registry part of a reference (plain HTTP: a loopback registry). */
  host: string;
  requests: RegistryRequest[];
  /** Stores layers and a manifest under `repository:tag`; returns the manifest digest. */
  /** `index`: behind an image index; `attestationFirst`: listed after a buildx attestation manifest (platform unknown/unknown). */
  push(repository: string, tag: string, layers: PushedLayer[], options?: { index?: boolean; attestationFirst?: boolean; mediaType?: string }): string;
  /** Serves these bytes for a blob, or a manifest asked for by digest, instead of its content (a corrupted store or a hostile mirror). */
  tamper(digest: string, bytes: Buffer): void;
  close(): Promise<void>;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * `scheme: "basic"` is a registry (registry:2 with htpasswd, Artifactory) that takes Basic credentials on every
 * request instead of handing out tokens.
 */
export async function startFakeRegistry(options: { credentials?: { username: string; password: string }; scheme?: "bearer" | "basic" } = {}): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const tampered = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tokens = new Set<string>();
  const requests: RegistryRequest[] = [];

  const storage = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: `storage:${req.url}`, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const digest = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    if (req.headers.authorization) {
      res.writeHead(400, { "content-type": "application/xml" }).end("<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>");
      return;
    }
    const bytes = tampered.get(digest) ?? blobs.get(digest);
    if (!bytes) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length }).end(bytes);
  });
  await listen(storage);
  const storageOrigin = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ method: req.method ?? "", path: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const ociError = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify({ errors: [{ code, message }] }));
    };
    if (url.pathname === "/token") {
      if (options.credentials) {
        const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64")}`;
        if (req.headers.authorization !== expected) return ociError(401, "UNAUTHORIZED", "authentication required");
      }
      const token = randomBytes(12).toString("hex");
      tokens.add(token);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (options.scheme === "basic") {
      const { username, password } = options.credentials ?? { username: "", password: "" };
      if (req.headers.authorization !== `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`) {
        return ociError(401, "UNAUTHORIZED", "authentication required", { "www-authenticate": 'Basic realm="fake-registry"' });
      }
    } else if (!bearer || !tokens.has(bearer)) {
      const scope = match ? `repository:${match[1]}:pull` : "registry:catalog:*";
      return ociError(401, "UNAUTHORIZED", "authentication required", {
        "www-authenticate": `Bearer realm="http://${host}/token",service="fake-registry",scope="${scope}"`,
      });
    }
    if (!match) return ociError(404, "NOT_FOUND", "no such endpoint");
    const [, repository, kind, reference] = match as unknown as [string, string, string, string];
    if (kind === "manifests") {
      const manifest = manifests.get(`${repository}@${reference}`) ?? manifests.get(`${repository}:${reference}`);
      if (!manifest) return ociError(404, "MANIFEST_UNKNOWN", `manifest unknown: ${repository}:${reference}`);
      const bytes = tampered.get(reference) ?? manifest.bytes;
      res.writeHead(200, { "content-type": manifest.mediaType, "docker-content-digest": sha256(bytes), "content-length": bytes.length });
      res.end(req.method === "HEAD" ? undefined : bytes);
      return;
    }
    if (!blobs.has(reference)) return ociError(404, "BLOB_UNKNOWN", `blob unknown: ${reference}`);
    res.writeHead(307, { location: `${storageOrigin}/${encodeURIComponent(reference)}?sig=${randomBytes(4).toString("hex")}` }).end();
  });
  await listen(server);
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const store = (repository: string, key: string, body: object, mediaType: string): string => {
    const bytes = Buffer.from(JSON.stringify(body));
    const digest = sha256(bytes);
    manifests.set(`${repository}:${key}`, { bytes, mediaType });
    manifests.set(`${repository}@${digest}`, { bytes, mediaType });
    return digest;
  };

  return {
    host,
    requests,
    push(repository, tag, layers, pushOptions = {}) {
      const config = Buffer.from("{}");
      blobs.set(sha256(config), config);
      for (const layer of layers) blobs.set(sha256(layer.bytes), layer.bytes);
      const mediaType = pushOptions.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
      const manifest = {
        schemaVersion: 2,
        mediaType,
        artifactType: "application/vnd.orun.stack.v1",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.bytes), size: l.bytes.length })),
      };
      if (!pushOptions.index) return store(repository, tag, manifest, mediaType);
      const inner = store(repository, `${tag}-amd64`, manifest, mediaType);
      const size = Buffer.byteLength(JSON.stringify(manifest));
      const entries: object[] = [{ mediaType, digest: inner, size, platform: { os: "linux", architecture: "amd64" } }];
      if (pushOptions.attestationFirst) {
        const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}');
        blobs.set(sha256(statement), statement);
        const attestation = { ...manifest, layers: [{ mediaType: "application/vnd.in-toto+json", digest: sha256(statement), size: statement.length }] };
        const attestationDigest = store(repository, `${tag}-attestation`, attestation, mediaType);
        entries.unshift({
          mediaType,
          digest: attestationDigest,
          size: Buffer.byteLength(JSON.stringify(attestation)),
          platform: { os: "unknown", architecture: "unknown" },
          annotations: { "vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": inner },
        });
      }
      const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries };
      return store(repository, tag, index, "application/vnd.oci.image.index.v1+json");
    },
    tamper(digest, bytes) {
      tampered.set(digest, bytes);
    },
    async close() {
      await Promise.all(
        [server, storage].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections(); // fetch keeps connections alive
            }),
        ),
      );
    },
  };
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}
