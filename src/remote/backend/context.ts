// What every route handler receives.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "./coordinator.js";
import type { Store } from "./store/types.js";

export interface Caller {
  kind: "oidc" | "token";
  /** The isolation boundary: a GitHub repository ID, `local:<name>`, or a pre-ID token's `owner/repo` (auth/namespaces.ts). */
  namespace: string;
  /** `owner/repo` for display ("" when unknown). */
  namespaceSlug: string;
  actor: string | null;
}

export interface BackendSettings {
  /** A running job whose runner has not heartbeaten for this long is abandoned. */
  leaseMs: number;
  /** Longest a `/runnable?waitMs=` long-poll is held open. */
  maxLongPollMs: number;
  /**
   * A held long-poll re-checks this often even without a change event
   * (lease expiry; writers the store cannot observe, e.g. another process on
   * the same SQLite file).
   */
  longPollRecheckMs: number;
  /** Cap on one job's stored log. */
  maxLogBytes: number;
  /** Cap on JSON request bodies (plans). */
  maxJsonBytes: number;
  /**
   * A runner's claims and long-polls mark its run in use (retention keeps it) at most this often
   * (default 30 s; a quarter of the retention when that is shorter).
   */
  activityEveryMs?: number;
}

export interface BackendContext {
  store: Store;
  settings: BackendSettings;
  clock(): Clock;
  /**
   * When each run's log was last followed (a ranged read: `orun logs --follow`), by namespace and run ID, in this
   * process. Append answers tell runners whether someone follows, so they upload a running step's lines every
   * 2 s only then (as GitLab's trace update interval does); in memory: a restart forgets, and followers read again.
   */
  followedAt?: Map<string, number>;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  caller: Caller;
  backend: BackendContext;
}
