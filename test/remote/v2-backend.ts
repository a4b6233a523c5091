// A faithful local stand-in for the v2 orun backend (sourceplane/orun-backend,
// 40-remote-state.md §1–2), which cannot run here (a Cloudflare Worker): one
// in-memory coordinator per run with v2's claim rules (direct dependencies
// only, no `skipped`), its non-idempotent update (a repeat is a 400), log
// uploads that replace the log, `{run: …}` on GET, and no route it lacks —
// `/v1/evidence` is a 404 "Not found" like any unknown path. Any bearer token
// is accepted (auth is not what it stands in for).
import http from "node:http";
import type { AddressInfo } from "node:net";

type Status = "pending" | "running" | "success" | "failed";

interface V2Job {
  jobId: string;
  component: string;
  status: Status;
  deps: string[];
  runnerId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
  heartbeatAt: string | null;
}

interface V2Run {
  runId: string;
  checksum: string;
  status: "running" | "completed" | "failed";
  createdAt: string;
  updatedAt: string;
  jobs: Map<string, V2Job>;
}

export interface V2Backend {
  url: string;
  /** Every request as `METHOD path` (path decoded), in order. */
  requests: string[];
  runs: Map<string, V2Run>;
  /**
   * Requests (`METHOD path`, as in `requests`) whose next answer is lost: the request takes effect, then the
   * connection is dropped instead of answering (a response lost on the way back), once each.
   */
  lose: Set<string>;
  close(): Promise<void>;
}

const HEARTBEAT_TIMEOUT_MS = 300_000;

export async function startV2Backend(): Promise<V2Backend> {
  const runs = new Map<string, V2Run>();
  const logs = new Map<string, string>();
  const requests: string[] = [];
  const lose = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://v2").pathname;
      const parts = path.split("/").slice(1).map(decodeURIComponent);
      const key = `${req.method} ${parts.join("/")}`;
      requests.push(key);
      const raw = Buffer.concat(chunks).toString();
      const send = (status: number, body: unknown) => {
        if (lose.delete(key)) return void res.socket?.destroy();
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      };
      const error = (status: number, code: string, message: string) => send(status, { error: message, code });
      const json = (): Record<string, unknown> | undefined => {
        try {
          return JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      };
      const now = new Date().toISOString();
      const [v1, runsSeg, runId, kind, jobId, action] = parts;
      if (v1 !== "v1" || runsSeg !== "runs") return error(404, "NOT_FOUND", "Not found");
      if (runId === undefined && req.method === "POST") {
        const body = json();
        const plan = body?.plan as { checksum?: string; jobs?: { jobId: string; component?: string; deps?: string[] }[] } | undefined;
        if (!plan?.checksum || !Array.isArray(plan.jobs)) return error(400, "INVALID_REQUEST", "Missing or invalid plan");
        const id = typeof body?.runId === "string" ? body.runId : `v2-${runs.size + 1}`;
        const existing = runs.get(id);
        if (existing) {
          if (existing.checksum !== plan.checksum) return error(409, "CONFLICT", "Run exists with different plan checksum");
          return send(200, { runId: id, status: "running", createdAt: now });
        }
        const jobs = new Map<string, V2Job>();
        for (const j of plan.jobs) {
          jobs.set(j.jobId, { jobId: j.jobId, component: j.component ?? "", status: "pending", deps: j.deps ?? [], runnerId: null, startedAt: null, finishedAt: null, lastError: null, heartbeatAt: null });
        }
        runs.set(id, { runId: id, checksum: plan.checksum, status: "running", createdAt: now, updatedAt: now, jobs });
        return send(201, { runId: id, status: "running", createdAt: now });
      }
      const run = runId === undefined ? undefined : runs.get(runId);
      const view = (r: V2Run) => {
        const all = [...r.jobs.values()];
        return { runId: r.runId, namespace: { namespaceId: "1", namespaceSlug: "" }, status: r.status, planChecksum: r.checksum, createdAt: r.createdAt, updatedAt: r.updatedAt, jobTotal: all.length, jobDone: all.filter((j) => j.status === "success").length, jobFailed: all.filter((j) => j.status === "failed").length };
      };
      if (kind === undefined && req.method === "GET") return run ? send(200, { run: view(run) }) : error(404, "NOT_FOUND", "Run not found");
      if (kind === "jobs" && jobId === undefined && req.method === "GET") return send(200, { jobs: run ? [...run.jobs.values()].map((j) => ({ ...j, logRef: null })) : [] });
      if (kind === "jobs" && action === "status" && req.method === "GET") {
        const job = run?.jobs.get(jobId ?? "");
        return job ? send(200, job) : error(404, "NOT_FOUND", "Job not found");
      }
      if (kind === "runnable" && req.method === "GET") {
        if (!run) return error(404, "NOT_FOUND", "Coordinator not initialized");
        return send(200, { jobs: [...run.jobs.values()].filter((j) => j.status === "pending" && j.deps.every((d) => run.jobs.get(d)?.status === "success")).map((j) => j.jobId) });
      }
      if (kind === "logs" && jobId !== undefined) {
        const key = `${runId}/${jobId}`;
        if (req.method === "POST") {
          logs.set(key, raw);
          return send(200, { ok: true, logRef: `1/runs/${runId}/logs/${jobId}.log` });
        }
        const log = logs.get(key);
        return log === undefined ? error(404, "NOT_FOUND", "Log not found") : res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end(log);
      }
      if (kind !== "jobs" || jobId === undefined || req.method !== "POST" || !["claim", "update", "heartbeat"].includes(action ?? "")) return error(404, "NOT_FOUND", "Not found");
      if (!run) return error(404, "NOT_FOUND", "Coordinator not initialized");
      const body = json();
      if (!body) return error(400, "INVALID_REQUEST", "Invalid JSON body");
      const runnerId = body.runnerId;
      if (typeof runnerId !== "string" || !runnerId) return error(400, "INVALID_REQUEST", "Missing runnerId");
      if (action === "update" && body.status !== "success" && body.status !== "failed") return error(400, "INVALID_REQUEST", "status must be 'success' or 'failed'");
      const job = run.jobs.get(jobId);
      if (!job) return error(404, "NOT_FOUND", "Job not found");
      if (action === "claim") {
        if (job.status === "pending") {
          if (job.deps.some((d) => run.jobs.get(d)?.status === "failed")) return send(200, { claimed: false, currentStatus: "pending", depsBlocked: true });
          if (job.deps.some((d) => run.jobs.get(d)?.status !== "success")) return send(200, { claimed: false, currentStatus: "pending", depsWaiting: true });
          Object.assign(job, { status: "running", runnerId, startedAt: now, heartbeatAt: now });
          run.updatedAt = now;
          return send(200, { claimed: true });
        }
        if (job.status === "running") {
          if (Date.now() - Date.parse(job.heartbeatAt ?? "") > HEARTBEAT_TIMEOUT_MS) {
            Object.assign(job, { runnerId, heartbeatAt: now });
            return send(200, { claimed: true, takeover: true });
          }
          return send(200, { claimed: false, currentStatus: "running" });
        }
        return send(200, { claimed: false, currentStatus: job.status });
      }
      if (action === "heartbeat") {
        if (job.status !== "running" || job.runnerId !== runnerId) return send(200, { ok: false, abort: true });
        job.heartbeatAt = now;
        return send(200, { ok: true });
      }
      // update: not idempotent in v2 (§2.5).
      if (job.status !== "running") return error(400, "INVALID_REQUEST", `Job is not running (current: ${job.status})`);
      if (job.runnerId !== runnerId) return error(400, "INVALID_REQUEST", "Runner does not own this job");
      Object.assign(job, { status: body.status, finishedAt: now, lastError: typeof body.error === "string" ? body.error : null });
      const all = [...run.jobs.values()];
      if (all.every((j) => j.status === "success")) run.status = "completed";
      else if (all.some((j) => j.status === "failed")) run.status = "failed";
      run.updatedAt = now;
      return send(200, { ok: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    runs,
    lose,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
