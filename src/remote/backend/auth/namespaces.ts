// Namespaces: the isolation boundary of runs, logs, promotion evidence and
// tokens (40-remote-state.md §3.2–3.3).
//   - A GitHub repository's namespace is its numeric repository ID, from the
//     OIDC `repository_id` claim. IDs never change, so a renamed repository
//     keeps its runs, and a new repository that takes an old name gets none.
//     The name (`owner/repo`) is display only; `namespaces` keeps the latest
//     name seen with each ID.
//   - `local:<name>` namespaces are for CI systems without GitHub: only
//     backend tokens reach them, never an OIDC token.
//   - Tokens created before IDs were used are scoped to a lower-case
//     `owner/repo`: they keep the runs they wrote and reach nothing else.
import { OrunError } from "../../../util/errors.js";
import type { Store } from "../store/types.js";

export const LOCAL_PREFIX = "local:";
const REPOSITORY_ID = /^[1-9][0-9]{0,19}$/;
const OWNER_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export function isRepositoryId(text: string): boolean {
  return REPOSITORY_ID.test(text);
}

/** The name shown for a namespace when no OIDC token has named it. */
export function fallbackSlug(namespace: string): string {
  if (namespace.startsWith(LOCAL_PREFIX)) return namespace.slice(LOCAL_PREFIX.length);
  return isRepositoryId(namespace) ? "" : namespace;
}

/**
 * The namespace a new backend token is scoped to, from what the admin typed:
 * a repository ID, `owner/repo` (a repository this backend has seen in an
 * OIDC token, so its ID is known), or `local:<owner/repo>`.
 */
export async function resolveTokenNamespace(store: Store, input: string): Promise<{ namespace: string; slug: string }> {
  const text = input.trim();
  if (isRepositoryId(text)) return { namespace: text, slug: (await store.namespaceById(text))?.slug ?? "" };
  if (text.toLowerCase().startsWith(LOCAL_PREFIX)) {
    const name = text.slice(LOCAL_PREFIX.length);
    if (!validName(name)) throw new OrunError(`--namespace "${input}": expected local:<owner/repo>`);
    return { namespace: `${LOCAL_PREFIX}${name.toLowerCase()}`, slug: name };
  }
  if (!validName(text)) throw new OrunError(`--namespace "${input}": expected owner/repo, a GitHub repository ID or local:<owner/repo>`);
  const seen = await store.namespacesBySlug(text);
  if (seen.length === 0) {
    throw new OrunError(`--namespace ${text}: no GitHub Actions run of this repository has reached this backend yet, so its repository ID is unknown`, {
      hint: `pass the ID instead (gh api repos/${text} --jq .id), or local:${text} for a namespace only backend tokens use`,
    });
  }
  if (seen.length > 1) {
    const ids = seen.map((ns) => `${ns.id} (last seen ${ns.lastSeenAt})`).join(", ");
    throw new OrunError(`--namespace ${text}: several repositories have had this name (${ids}); pass the repository ID of the one you mean`);
  }
  return { namespace: seen[0]!.id, slug: seen[0]!.slug };
}

function validName(name: string): boolean {
  return OWNER_REPO.test(name) && !name.includes("..");
}

/**
 * Remembers the name each repository ID was last seen with. An OIDC request
 * records it; repeats within `refreshMs` cost no write.
 */
export class NamespaceDirectory {
  private readonly known = new Map<string, { slug: string; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly refreshMs = 10 * 60_000,
  ) {}

  async seen(id: string, slug: string): Promise<void> {
    const now = Date.now();
    const known = this.known.get(id);
    if (known && known.slug === slug && now - known.at < this.refreshMs) return;
    try {
      await this.store.recordNamespace({ id, slug, lastSeenAt: new Date(now).toISOString() });
      this.known.set(id, { slug, at: now });
    } catch {
      // Bookkeeping for display and token creation: the request itself goes on; the next one records it.
    }
  }

  async slugOf(namespace: string): Promise<string> {
    const known = this.known.get(namespace);
    if (known && Date.now() - known.at < this.refreshMs) return known.slug;
    if (!isRepositoryId(namespace)) return fallbackSlug(namespace);
    const record = await this.store.namespaceById(namespace);
    if (record) this.known.set(namespace, { slug: record.slug, at: Date.now() });
    return record?.slug ?? "";
  }
}
