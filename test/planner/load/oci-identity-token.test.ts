// `docker login` to Azure Container Registry, Harbor with OIDC and the like stores an
// identity token (an OAuth2 refresh token) instead of a password: `identitytoken` in
// config.json, or a credential helper answering user `<token>`. orun trades it at the
// registry's token service (POST, grant_type=refresh_token) for an access token, as
// docker and oras do. The registry here is a small loopback server speaking that grant.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { parseOciReference, RegistryClient } from "../../../src/planner/load/compositions/oci.js";
import { dockerCredentials } from "../../../src/planner/load/compositions/registry-credentials.js";

const REFRESH = "refresh-abc";
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", layers: [] });
const posts: Record<string, string>[] = [];
let server: http.Server;
let host: string;
let tmp: string;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-identity-token-"));
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/oauth2/token") {
      if (req.method !== "POST") return void res.writeHead(405).end();
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        posts.push({ ...form, contentType: req.headers["content-type"] ?? "" });
        if (form.grant_type !== "refresh_token" || form.refresh_token !== REFRESH) {
          return void res.writeHead(401, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED","message":"invalid refresh token"}]}');
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: `access-for-${form.scope}`, refresh_token: REFRESH }));
      });
      return;
    }
    if (url.pathname === "/v2/team/pkg/manifests/v1") {
      if (req.headers.authorization !== "Bearer access-for-repository:team/pkg:pull") {
        res.writeHead(401, { "www-authenticate": `Bearer realm="http://${host}/oauth2/token",service="${host}",scope="repository:team/pkg:pull"` }).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(MANIFEST);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function dockerConfig(auths: object): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmp, "docker-"));
  await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ auths }));
  return dir;
}

test("an identitytoken from docker's config.json is traded for an access token (refresh-token grant) and the pull is authorised", async () => {
  const env = { DOCKER_CONFIG: await dockerConfig({ [host]: { auth: "", identitytoken: REFRESH } }) };
  const login = await dockerCredentials(host, env);
  assert.equal(login.identityToken, REFRESH);
  assert.match(login.note, /identity token/);
  posts.length = 0;
  const ref = parseOciReference(`${host}/team/pkg:v1`);
  const manifest = await new RegistryClient(ref, () => Promise.resolve(login), undefined, {}).manifest("v1");
  assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.deepEqual(posts, [
    { grant_type: "refresh_token", service: host, scope: "repository:team/pkg:pull", client_id: "orun", refresh_token: REFRESH, contentType: "application/x-www-form-urlencoded" },
  ]);
});

test("a credential helper answering user <token> gives an identity token too", async () => {
  const bin = await fs.mkdtemp(path.join(tmp, "bin-"));
  await fs.writeFile(path.join(bin, "docker-credential-tok"), `#!/bin/sh\nread host\necho '{"Username":"<token>","Secret":"${REFRESH}"}'\n`, { mode: 0o755 });
  const dir = await fs.mkdtemp(path.join(tmp, "docker-"));
  await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ credHelpers: { [host]: "tok" } }));
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    const login = await dockerCredentials(host, { DOCKER_CONFIG: dir });
    assert.equal(login.identityToken, REFRESH);
    assert.equal(login.credentials, undefined);
  } finally {
    process.env.PATH = saved;
  }
});

test("a refused identity token says the registry refused it, with the token service's reason", async () => {
  const login = { identityToken: "expired", note: `the identity token for ${host} from config.json` };
  const ref = parseOciReference(`${host}/team/pkg:v1`);
  await assert.rejects(
    new RegistryClient(ref, () => Promise.resolve(login), undefined, {}).manifest("v1"),
    /token from http:\/\/127\.0\.0\.1:\d+\/oauth2\/token: 401 Unauthorized: UNAUTHORIZED invalid refresh token \(the registry refused the identity token for 127\.0\.0\.1:\d+ from config\.json\)/,
  );
});
