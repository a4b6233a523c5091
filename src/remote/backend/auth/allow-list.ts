// Which GitHub repositories may use this backend with their Actions OIDC
// tokens. GitHub signs tokens for every repository on github.com, so without
// a list any repository could create runs here (each in its own namespace).
// Backend-issued tokens are not subject to it: an admin created them.
import { OrunError } from "../../../util/errors.js";
import type { OidcIdentity } from "./oidc.js";

export interface AllowList {
  /** Lower-case owners (`repository_owner` claim): every repository of theirs is allowed. */
  owners: string[];
  /** Lower-case `owner/repo` (`repository` claim). */
  repos: string[];
}

const OWNER = /^[A-Za-z0-9_.-]+$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * The list from flag values (each may hold several comma-separated entries);
 * undefined when both are empty: every repository is accepted.
 */
export function parseAllowList(owners: readonly string[], repos: readonly string[]): AllowList | undefined {
  const split = (values: readonly string[]) => values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  const list: AllowList = { owners: [], repos: [] };
  for (const owner of split(owners)) {
    if (!OWNER.test(owner)) throw new OrunError(`--allow-owner / ORUN_BACKEND_ALLOW_OWNERS: "${owner}" is not a GitHub user or organization name`);
    list.owners.push(owner.toLowerCase());
  }
  for (const repo of split(repos)) {
    if (!REPO.test(repo) || repo.includes("..")) throw new OrunError(`--allow-repo / ORUN_BACKEND_ALLOW_REPOS: "${repo}" is not owner/repo`);
    list.repos.push(repo.toLowerCase());
  }
  return list.owners.length + list.repos.length > 0 ? list : undefined;
}

/** GitHub names are case-insensitive, so is the match. */
export function isAllowed(list: AllowList | undefined, identity: Pick<OidcIdentity, "repository" | "repositoryOwner">): boolean {
  if (!list) return true;
  return list.owners.includes(identity.repositoryOwner.toLowerCase()) || list.repos.includes(identity.repository.toLowerCase());
}

export function describeAllowList(list: AllowList): string {
  return [...list.owners.map((o) => `${o}/*`), ...list.repos].join(", ");
}
