// What one runner costs the services it talks to. A whole-plan runner of 50 jobs in GitHub Actions: GitHub
// rate-limits its OIDC token endpoint, so the runner fetches one token and reuses it (the local issuer counts
// token requests); and the backend sees a bounded number of TCP connections, reused across requests (the
// server counts the sockets it accepts), not one per request or per job.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";

const JOBS = 50;
const CONCURRENCY = 8;

describe(`a ${JOBS}-job whole-plan runner against the backend`, () => {
  let bed: RemoteTestbed;
  let sockets = 0;
  let requests = 0;
  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-conn-", (issuer) => ({ oidc: { issuer: issuer.issuer }, rateLimit: { capacity: 100_000, refillPerSecond: 100_000 } }));
    bed.backend.server.on("connection", () => sockets++);
    bed.backend.server.on("request", () => requests++);
  });
  after(() => bed?.close());

  it("fetches one OIDC token and opens a bounded number of connections", { timeout: 120_000 }, async () => {
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ id: `c${String(i).padStart(2, "0")}@dev.build`, run: "echo ok" }));
    const planFile = await writePlan(bed.dir, "many", jobs);
    const tokensBefore = bed.issuer.tokenRequests();
    const run = await spawnOrun(["run", planFile, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "many-jobs", "--concurrency", String(CONCURRENCY)], {
      cwd: bed.dir,
      env: {
        ORUN_TOKEN: "",
        ORUN_REMOTE_STATE: "",
        ORUN_BACKEND_URL: "",
        GITHUB_ACTIONS: "true",
        ACTIONS_ID_TOKEN_REQUEST_URL: `${bed.issuer.tokenRequestUrl}?repo=acme/widgets`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: bed.issuer.requestToken,
      },
    }).done;
    assert.equal(run.code, 0, run.output);
    const tokens = bed.issuer.tokenRequests() - tokensBefore;
    process.stdout.write(`# ${JOBS} jobs, concurrency ${CONCURRENCY}: ${requests} backend requests over ${sockets} connections, ${tokens} OIDC token request(s)\n`);
    assert.equal(tokens, 1, "one token for the whole run (it lives 5 minutes)");
    assert.ok(requests >= JOBS * 2, `at least a claim and an update per job (${requests} requests)`);
    // Keep-alive: connections are reused; a handful per concurrent job at most, never one per request.
    assert.ok(sockets <= CONCURRENCY * 2 + 2, `${sockets} connections for ${requests} requests`);
  });
});
