// OCI composition sources against a faithful local registry (test/support/oci-registry.ts):
// references, the token dance, redirects to blob storage, digests, pins, the cache and errors.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { formatOciReference, parseChallenge, parseOciReference } from "../../../src/planner/load/compositions/oci.js";
import { startFakeRegistry, type FakeRegistry } from "../../support/oci-registry.js";
import { FIXTURES_DIR } from "../../support/cli.js";
import { load, loadError, makeRepo, repoS, STACK, SVC, TF } from "./helpers.js";
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

  test("WWW-Authenticate challenges are parsed with quoted and bare values", () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'), {
      scheme: "bearer",
      params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:a/b:pull" },
    });
    assert.deepEqual(parseChallenge('Basic realm="x \\"y\\""'), { scheme: "basic", params: { realm: 'x "y"' } });
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
    await load(dir);
    await other.close();
    const offline = await load(dir);
    assert.equal(offline.sources[0]!.resolvedDigest, pinnedDigest);
    await fs.writeFile(path.join(dir, "intent.yaml"), intentWith(`{name: remote, kind: oci, ref: "${other.host}/acme/stack:v2"}`));
    await loadError(dir, /intent\.yaml:\d+: compositions\.sources\[0\]\.ref: failed to resolve oci composition source remote: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/stack\/manifests\/v2: /);
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
    registry.tamper(layerDigest, PACKAGE);
    const dir = await makeRepo({ "intent.yaml": intentWith(`{name: remote, kind: oci, ref: "${registry.host}/acme/tampered:v1"}`) });
    await loadError(dir, "failed to pull oci composition source remote: the layer's content has digest", `not ${layerDigest} as the manifest says`);
    assert.equal(existsSync(path.join(dir, ".orun", "cache", "compositions", tamperedDigest.slice(7))), false);
    assert.deepEqual((await fs.readdir(path.join(dir, ".orun", "cache", "compositions"))).filter((n) => n.startsWith(".pull-")), [], "no temp folder left");
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
      await loadError(dir, /failed to resolve oci composition source private: token from http:\/\/127\.0\.0\.1:\d+\/token: 401 Unauthorized: UNAUTHORIZED/);
      const auth = Buffer.from("ci:s3cret").toString("base64");
      await fs.writeFile(path.join(config, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth } } }));
      const ws = await load(dir);
      assert.deepEqual(ws.sources[0]!.exports, ["svc", "tf"]);
    } finally {
      await fs.rm(config, { recursive: true, force: true });
    }
  });
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
