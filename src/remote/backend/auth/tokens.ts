// Backend-issued API tokens (`ORUN_TOKEN`) for CI systems without OIDC and
// for laptops. Shown once at creation, stored only as a SHA-256 hash, scoped
// to one namespace (auth/namespaces.ts), revocable.
import { createHash, randomBytes } from "node:crypto";
import type { Store, TokenRecord } from "../store/types.js";
import { resolveTokenNamespace } from "./namespaces.js";

export const TOKEN_PREFIX = "orun_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeBackendToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

/** A token for the namespace `namespace` names (a repository ID, a seen `owner/repo`, or `local:<owner/repo>`). */
export async function createToken(store: Store, namespace: string, description?: string): Promise<{ token: string; record: TokenRecord; slug: string }> {
  const target = await resolveTokenNamespace(store, namespace);
  const id = `tok_${randomBytes(6).toString("hex")}`;
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const record: TokenRecord = { id, namespace: target.namespace, description: description ?? null, createdAt: new Date().toISOString(), revokedAt: null };
  await store.insertToken({ ...record, hash: hashToken(token) });
  return { token, record, slug: target.slug };
}

/** The namespace a valid, unrevoked token grants, or undefined. */
export async function verifyToken(store: Store, token: string): Promise<TokenRecord | undefined> {
  const record = await store.findTokenByHash(hashToken(token));
  return record && !record.revokedAt ? record : undefined;
}
