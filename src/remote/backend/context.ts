// What every route handler receives.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "./coordinator.js";
import type { Store } from "./store/types.js";
import type { WorkflowRun } from "./auth/oidc.js";

export interface Caller {
  kind: "oidc" | "token";
  /** The isolation boundary: a GitHub repository ID, `local:<name>`, or a pre-ID token's `owner/repo` (auth/namespaces.ts). */
  namespace: string;
  /** `owner/repo` for display ("" when unknown). */
  namespaceSlug: string;
  actor: string | null;
  /** OIDC only: the workflow run and attempt the token was issued to (a re-run attempt may retry a failed job). */
  workflowRun?: WorkflowRun;
  /** OIDC only: the commit the token's workflow run is for (its `sha` claim), when the token names one; null when the claim is no commit ID. */
  sha?: string | null;
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
   * Most log bytes all uploads in progress may hold at once (default 16 × maxLogBytes): one more is a 503 before its
   * body is read. Each upload holds its body whole until it is written.
   */
  maxBufferedLogBytes?: number;
  /**
   * A runner's claims and long-polls mark its run in use (retention keeps it) at most this often
   * (default 30 s; a quarter of the retention when that is shorter).
   */
  activityEveryMs?: number;
  /** How long a later workflow attempt waits for its runner of an earlier attempt's failed job (coordinator Clock.retryGraceMs). */
  retryGraceMs?: number;
  /**
   * `serve --require-lease-secrets`: a claim without a claimKey (v2 runners, orun runners from before lease secrets) is
   * refused, and so is every holder's write for a job held without a lease secret (coordinator Clock.requireLease).
   */
  requireLeaseSecrets?: boolean;
}

export interface BackendContext {
  store: Store;
  settings: BackendSettings;
  clock(): Clock;
  /** What the operator should know of (the backend's stderr); absent in contexts that log nothing. */
  log?: (message: string) => void;
  /**
   * When this process last recorded a follower of each run (by namespace and run ID) in the store: it skips the
   * write within a few seconds of its last. Whether a run is followed is the store's (runs.followed_at), so every
   * replica answers alike.
   */
  followMarkedAt?: Map<string, number>;
  /** Log bytes the uploads in progress hold or may still receive (their declared sizes), against maxBufferedLogBytes; by namespace too. */
  logBytesReceiving?: { bytes: number; byNamespace: Map<string, number> };
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  caller: Caller;
  backend: BackendContext;
}
