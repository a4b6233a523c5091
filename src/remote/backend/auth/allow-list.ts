// Which GitHub repositories may use this backend with their Actions OIDC
// tokens. GitHub signs tokens for every repository on github.com, so without
// a list any repository could create runs here (each in its own namespace).
// Entries are names or immutable IDs (`id:<n>`): a name can be registered by
// someone else after a rename or deletion, an ID never passes to another
// account or repository (the reason namespaces are repository IDs).
// Backend-issued tokens are not subject to it: an admin created them.
import { OrunError } from "../../../util/errors.js";
import type { OidcIdentity } from "./oidc.js";

export interface AllowList {
  /** Lower-case owners (`repository_owner` claim): every repository of theirs is allowed. */
  owners: string[];
  /** Owner IDs (`repository_owner_id` claim), from `id:<n>` entries of --allow-owner. */
  ownerIds: string[];
  /** Lower-case `owner/repo` (`repository` claim). */
  repos: string[];
  /** Repository IDs (`repository_id` claim), from `id:<n>` entries of --allow-repo. */
  repoIds: string[];
}

const OWNER = /^[A-Za-z0-9_.-]+$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** GitHub's numeric IDs, as its OIDC claims carry them (decimal strings). */
const ID = /^[1-9][0-9]{0,19}$/;
const ID_PREFIX = /^id:/i;

const OWNERS_SETTING = "--allow-owner / ORUN_BACKEND_ALLOW_OWNERS";
const REPOS_SETTING = "--allow-repo / ORUN_BACKEND_ALLOW_REPOS";

/**
 * The list from flag values (each may hold several comma-separated entries);
 * undefined when both are empty: every repository is accepted.
 */
export function parseAllowList(owners: readonly string[], repos: readonly string[]): AllowList | undefined {
  const split = (values: readonly string[]) => values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  const list: AllowList = { owners: [], ownerIds: [], repos: [], repoIds: [] };
  for (const owner of split(owners)) {
    if (ID_PREFIX.test(owner)) list.ownerIds.push(parseId(owner, OWNERS_SETTING, "repository_owner_id"));
    else if (OWNER.test(owner)) list.owners.push(owner.toLowerCase());
    else throw new OrunError(`${OWNERS_SETTING}: "${owner}" is not a GitHub user or organization name, nor id:<repository_owner_id>`);
  }
  for (const repo of split(repos)) {
    if (ID_PREFIX.test(repo)) list.repoIds.push(parseId(repo, REPOS_SETTING, "repository_id"));
    else if (REPO.test(repo) && !repo.includes("..")) list.repos.push(repo.toLowerCase());
    else throw new OrunError(`${REPOS_SETTING}: "${repo}" is not owner/repo, nor id:<repository_id>`);
  }
  return list.owners.length + list.ownerIds.length + list.repos.length + list.repoIds.length > 0 ? list : undefined;
}

function parseId(entry: string, setting: string, claim: string): string {
  const id = entry.slice(3).trim();
  if (!ID.test(id)) throw new OrunError(`${setting}: "${entry}" is not id:<${claim}> (a positive decimal number, e.g. id:1234567)`);
  return id;
}

/** GitHub names are case-insensitive, so is their match; IDs match exactly. */
export function isAllowed(list: AllowList | undefined, identity: Pick<OidcIdentity, "repository" | "repositoryId" | "repositoryOwner" | "repositoryOwnerId">): boolean {
  if (!list) return true;
  return (
    list.ownerIds.includes(identity.repositoryOwnerId) ||
    list.repoIds.includes(identity.repositoryId) ||
    list.owners.includes(identity.repositoryOwner.toLowerCase()) ||
    list.repos.includes(identity.repository.toLowerCase())
  );
}

export function describeAllowList(list: AllowList): string {
  return [...list.owners.map((o) => `${o}/*`), ...list.ownerIds.map((id) => `owner id:${id}/*`), ...list.repos, ...list.repoIds.map((id) => `repository id:${id}`)].join(", ");
}

/** Entries given by name (re-registrable after a rename), for the start-up advice to prefer IDs. */
export function namedEntries(list: AllowList): string[] {
  return [...list.owners, ...list.repos];
}
