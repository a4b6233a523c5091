// Registry credentials where `docker login` keeps them ($DOCKER_CONFIG/config.json,
// default ~/.docker): a credential helper for the host (credHelpers), else the
// credential store (credsStore) — both by running `docker-credential-<name> get`,
// as docker does — else an `auths` entry whose key names the host (docker/cli's
// ConvertToHostname: scheme and path dropped, case-insensitive). What was looked
// at is described too, so a refused pull can say why no login was used.

import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface CredentialLookup {
  credentials?: RegistryCredentials;
  /**
   * An OAuth2 refresh token (`docker login` to Azure Container Registry, Harbor with OIDC, …: the config's
   * `identitytoken`, or a helper answering user `<token>`), traded at the registry's token service for an
   * access token (oci.ts).
   */
  identityToken?: string;
  /** Where they came from, or why there are none ("no entry for ghcr.io in /home/u/.docker/config.json"). */
  note: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const DOCKER_HUB = ["docker.io", "index.docker.io", "registry-1.docker.io"];
const HELPER_TIMEOUT_MS = 15_000;

/** docker/cli's ConvertToHostname, lower-cased, with Docker Hub's names made one. */
export function registryHost(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0]!.toLowerCase();
  return DOCKER_HUB.includes(host) ? "docker.io" : host;
}

export async function dockerCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<CredentialLookup> {
  const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
  let config: DockerConfig;
  try {
    config = JSON.parse(await fs.readFile(file, "utf8")) as DockerConfig;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return { note: missing ? `no docker login: ${file} does not exist` : `${file} is not readable JSON (${(err as Error).message.split("\n")[0]}), so no login was used` };
  }
  const host = registryHost(registry);
  // Docker asks helpers for Docker Hub under its v1 address, and for other registries under the host name.
  const helperKey = host === "docker.io" ? "https://index.docker.io/v1/" : host;
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => registryHost(key) === host)?.[1] ?? config.credsStore;
  if (helper) {
    const fromHelper = await runHelper(helper, helperKey);
    if (fromHelper.credentials || !Object.keys(config.auths ?? {}).some((key) => registryHost(key) === host)) return fromHelper;
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (registryHost(key) !== host || !entry) continue;
    if (entry.identitytoken) return { identityToken: entry.identitytoken, note: `the identity token for ${host} from ${file}` };
    if (entry.username && entry.password) return { credentials: { username: entry.username, password: entry.password }, note: `user ${entry.username} from ${file}` };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const split = decoded.indexOf(":");
      if (split > 0) return { credentials: { username: decoded.slice(0, split), password: decoded.slice(split + 1) }, note: `user ${decoded.slice(0, split)} from ${file}` };
    }
  }
  return { note: `no login for ${host} in ${file}` };
}

/** `docker-credential-<name> get`, the host on its input, `{"Username","Secret"}` on its output. */
function runHelper(name: string, key: string): Promise<CredentialLookup> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve) => {
    const child = spawn(program, ["get"], { stdio: ["pipe", "pipe", "pipe"], timeout: HELPER_TIMEOUT_MS });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ note: e.code === "ENOENT" ? `the credential helper ${program} is not installed` : `the credential helper ${program} failed: ${e.message}` }),
    );
    child.on("close", (code) => {
      if (code !== 0) {
        const why = (out + err).trim().split("\n")[0] ?? "";
        return resolve({ note: /not found/i.test(why) ? `${program} has no login for ${key}` : `${program} get failed (exit ${code}): ${why}` });
      }
      try {
        const answer = JSON.parse(out) as { Username?: string; Secret?: string };
        if (answer.Username === "<token>" && answer.Secret) return resolve({ identityToken: answer.Secret, note: `the identity token for ${key} from ${program}` });
        if (answer.Username && answer.Secret) return resolve({ credentials: { username: answer.Username, password: answer.Secret }, note: `user ${answer.Username} from ${program}` });
        resolve({ note: `${program} has no login for ${key}` });
      } catch {
        resolve({ note: `${program} get answered something that is not JSON` });
      }
    });
    child.stdin.on("error", () => undefined); // a helper that exits without reading
    child.stdin.end(key);
  });
}
