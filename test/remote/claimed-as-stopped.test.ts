// A claim the backend answers just as this runner stops (Ctrl-C, or its fail-fast): the job is this runner's, but it
// is not started. The runner says so, never "running it" (as it did before), and reports it to the backend as not
// started here — canceled: given back (released, pending again for any runner; it trips no fail-fast), or stopped by fail-fast: skipped, as the jobs the
// run's stop skipped (a backend that refuses `skipped`, v2, gets a tolerated failure, and the line says so).
// Against a scripted backend on loopback; the stop lands the moment the client has the claim's answer.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";

describe("remote hooks: a claim answered as the runner stops", () => {
  const updates: Record<string, unknown>[] = [];
  /** Answer an update with status skipped as a v2 backend does (400). */
  let refuseSkipped = false;
  let server: http.Server;
  let baseUrl: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        if (path.endsWith("/release")) {
          updates.push({ released: JSON.parse(raw) as unknown });
          return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ok: true, status: "pending" }));
        }
        if (path.endsWith("/update")) {
          const update = JSON.parse(raw) as Record<string, unknown>;
          updates.push(update);
          if (refuseSkipped && update.status === "skipped") return void res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "invalid status" }));
        }
        const body = path === "/v1/runs" ? { runId: "r", status: "running", createdAt: "", failFast: true } : path.endsWith("/claim") ? { claimed: true, leaseMs: 60_000 } : path.includes("/logs/") ? { ok: true, bytes: 1 } : { ok: true };
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const job: PlanJob = { id: "api@dev.ci", name: "ci", component: "api", environment: "dev", dependsOn: [], steps: [{ id: "test", phase: "main", run: "true" }] };
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs: [job] };

  /** Claims the job, the run stopping (`stop`) the moment the answer is in; the executor hands it back with `reason`. */
  const claimAsStopped = async (stop: (run: AbortController) => void, reason: string) => {
    const said: string[] = [];
    const client = new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "t" } });
    const run = new AbortController();
    const claim = client.claim.bind(client);
    client.claim = async (...args) => {
      const answer = await claim(...args);
      stop(run);
      return answer;
    };
    const hooks = new RemoteHooks({ client, plan, runId: "r", runnerId: "me", mode: "job", say: (line) => void said.push(line) });
    const decision = await hooks.beforeJob(job, run.signal);
    assert.deepEqual({ action: decision.action, claimed: decision.action === "run" ? decision.claimed : undefined }, { action: "run", claimed: true });
    // What the executor does with a claimed job the stop reached before its first step.
    hooks.onJobNotRun(job, "blocked", reason);
    await hooks.close();
    return { said, sent: updates.at(-1), all: [...updates] };
  };

  it("Ctrl-C: said claimed but not started, given back to the backend (released), no result reported", async () => {
    const { said, sent } = await claimAsStopped((run) => run.abort(), "run canceled");
    assert.doesNotMatch(said.join("\n"), /running it|failed/);
    assert.deepEqual(said, ["↷ job api@dev.ci was canceled here and released in remote run r: it is pending again, its dependents wait, and any runner's claim takes it over"]);
    assert.deepEqual(sent, { released: { runnerId: "me", reason: "canceled before it started (run canceled)" } });
  });

  it("fail-fast: said claimed but not started for it, reported skipped with the stop's reason — not failed, not blocked, no retry advised", async () => {
    const reason = "not started: fail-fast after api@dev.lint failed";
    const { said, sent } = await claimAsStopped((run) => run.abort(reason), reason);
    assert.doesNotMatch(said.join("\n"), /running it|blocked|retry|\(failed\)/);
    assert.deepEqual(said, ["! job api@dev.ci was claimed but not started: this runner stopped starting jobs (fail-fast after api@dev.lint failed); it is recorded as skipped (not started) in remote run r, as the jobs the run's stop kept from starting"]);
    assert.deepEqual(sent, { runnerId: "me", status: "skipped", error: reason });
  });

  it("fail-fast against a backend that refuses a skipped result (v2): reported as a tolerated failure, and said so", async (t) => {
    refuseSkipped = true;
    t.after(() => void (refuseSkipped = false));
    const reason = "not started: fail-fast after api@dev.lint failed";
    const before = updates.length;
    const { said, all } = await claimAsStopped((run) => run.abort(reason), reason);
    assert.deepEqual(all.slice(before), [
      { runnerId: "me", status: "skipped", error: reason },
      { runnerId: "me", status: "failed", error: `${reason} (on its runner, which had claimed it)`, tolerated: true },
    ]);
    assert.deepEqual(said, [`! job api@dev.ci was claimed but not started: this runner stopped starting jobs (fail-fast after api@dev.lint failed); it is recorded as failed in remote run r (not started; the backend at ${baseUrl} takes no skipped result), with no verdict on it`]);
  });
});
