// Parses the value of a `use:` step into what kind of action it names.
import { isLocalActionUse } from "../../plan/local-actions.js";

export type ActionRef =
  | { kind: "local"; path: string }
  | { kind: "docker-image"; image: string }
  | { kind: "remote"; owner: string; repo: string; path: string; ref: string };

const NAME = /^[A-Za-z0-9_.-]+$/;

export function parseActionRef(uses: string): ActionRef {
  const value = uses.trim();
  if (value.startsWith("docker://")) return { kind: "docker-image", image: value.slice("docker://".length) };
  if (isLocalActionUse(value)) return { kind: "local", path: value };
  const m = /^([^/@\s]+)\/([^/@\s]+)(?:\/([^@\s]+))?@(\S+)$/.exec(value);
  if (m) {
    const [, owner, repo, subPath = "", ref] = m;
    const parts = subPath.split("/").filter(Boolean);
    if (NAME.test(owner) && NAME.test(repo) && ![owner, repo].includes("..") && !parts.some((p) => p === ".." || p === ".")) {
      return { kind: "remote", owner, repo, path: parts.join("/"), ref };
    }
  }
  throw new Error(`unsupported action reference "${value}"; expected ./path, docker://image, or owner/repo[/path]@ref`);
}

export function formatRemoteRef(ref: { owner: string; repo: string; path: string; ref: string }): string {
  return `${ref.owner}/${ref.repo}${ref.path ? `/${ref.path}` : ""}@${ref.ref}`;
}
