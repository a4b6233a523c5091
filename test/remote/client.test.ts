// The CLI side without the backend: run IDs, activation settings, and the
// client's retry behaviour against a scripted local HTTP server.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import type { RemoteHooks } from "../../src/remote/hooks.js";
import { deriveRunId, deriveRunnerId } from "../../src/remote/run-id.js";
import { remoteEnabled, resolveBackendUrl } from "../../src/remote/settings.js";
import { resolveTokenSource } from "../../src/remote/oidc-token.js";
import { parseDuration } from "../../src/remote/duration.js";
import { runOrun } from "../support/cli.js";

describe("run and runner IDs", () => {
  it("uses --exec-id, then ORUN_EXEC_ID, then the GitHub run, else a local ID", () => {
    assert.equal(deriveRunId("x", { ORUN_EXEC_ID: "y" }), "x");
    assert.equal(deriveRunId(undefined, { ORUN_EXEC_ID: "y" }), "y");
    assert.equal(deriveRunId(undefined, { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "99887766", GITHUB_RUN_ATTEMPT: "2" }), "gha_99887766_2");
    assert.equal(deriveRunId(undefined, { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "99887766" }), "gha_99887766_1");
    assert.match(deriveRunId(undefined, {}), /^local_[0-9a-f]+_[0-9a-f]{6}$/);
  });

  it("gives every matrix leg its own runner ID under the v2 prefix", () => {
    const env = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "5", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "run-one-job-per-runner" };
    const a = deriveRunnerId(env);
    assert.match(a, /^gha-5-1-run-one-job-per-runner-[0-9a-f]{8}$/);
    assert.notEqual(a, deriveRunnerId(env));
  });
});

describe("remote-state settings", () => {
  it("activates from the flag, ORUN_REMOTE_STATE=true (any case) or intent mode remote", () => {
    assert.equal(remoteEnabled({ remoteState: true }, {}, undefined), true);
    assert.equal(remoteEnabled({}, { ORUN_REMOTE_STATE: "TRUE" }, undefined), true);
    assert.equal(remoteEnabled({}, { ORUN_REMOTE_STATE: "1" }, undefined), false);
    assert.equal(remoteEnabled({}, {}, { mode: "Remote" }), true);
    assert.equal(remoteEnabled({}, {}, { mode: "local" }), false);
  });

  it("resolves the URL flag > env > intent, and explains a missing or bad one", () => {
    assert.equal(resolveBackendUrl({ backendUrl: "http://a" }, { ORUN_BACKEND_URL: "http://b" }, { backendUrl: "http://c" }), "http://a");
    assert.equal(resolveBackendUrl({}, { ORUN_BACKEND_URL: "http://b" }, { backendUrl: "http://c" }), "http://b");
    assert.equal(resolveBackendUrl({}, {}, { backendUrl: "http://c" }), "http://c");
    assert.throws(() => resolveBackendUrl({}, {}, undefined), /--remote-state requires --backend-url or ORUN_BACKEND_URL/);
    assert.throws(() => resolveBackendUrl({ backendUrl: "ftp://x" }, {}, undefined), /invalid backend URL "ftp:\/\/x"/);
  });

  it("parses backend durations and rejects nonsense naming the flag", () => {
    assert.equal(parseDuration("1h30m", "--retention"), 5_400_000);
    assert.equal(parseDuration("250ms", "--lease-timeout"), 250);
    assert.throws(() => parseDuration("soon", "--retention"), /--retention: invalid duration "soon"/);
    assert.equal(parseDuration("7d", "--retention"), 7 * 86_400_000);
    assert.equal(parseDuration("1.5h", "--retention"), 5_400_000);
    assert.throws(() => parseDuration("-5m", "--lease-timeout"), /--lease-timeout: invalid duration "-5m"/);
  });
});

describe("backend client retries", () => {
  const servers: http.Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const serve = async (handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) => {
    let n = 0;
    const server = http.createServer((req, res) => handler(req, res, ++n));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const auth = { kind: "token" as const, token: async () => "orun_t" };

  it("waits out 429 Retry-After and retries 5xx, sending auth and user agent", async () => {
    const seen: { at: number; auth?: string; ua?: string }[] = [];
    const url = await serve((req, res, n) => {
      seen.push({ at: Date.now(), auth: req.headers.authorization, ua: req.headers["user-agent"] });
      if (n === 1) return res.writeHead(429, { "Retry-After": "1", "Content-Type": "application/json" }).end('{"error":"Rate limit exceeded","code":"RATE_LIMITED"}');
      if (n === 2) return res.writeHead(503).end("busy");
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"claimed":true}');
    });
    const claim = await new BackendClient({ baseUrl: url, auth, onRetrying: () => undefined }).claim("r", "a@dev.x", "me");
    assert.equal(claim.claimed, true);
    assert.equal(seen.length, 3);
    assert.ok(seen[1].at - seen[0].at >= 950, "Retry-After honoured");
    assert.equal(seen[0].auth, "Bearer orun_t");
    assert.match(seen[0].ua ?? "", /^orun-cli\//);
  });

  it("does not retry client errors; reads a missing log as empty; gives up on a dead backend within its budget", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":"Run not found","code":"NOT_FOUND"}');
    });
    const client = new BackendClient({ baseUrl: url, auth });
    await assert.rejects(client.getRun("nope"), /Run not found \(NOT_FOUND\)/);
    assert.equal(calls, 1);
    assert.equal(await client.readLog("r", "j"), "");
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const said: string[] = [];
    const dead = new BackendClient({ baseUrl: `http://127.0.0.1:${port}`, auth, retryBudgetMs: 600, onRetrying: (m) => said.push(m) });
    await assert.rejects(dead.getRun("x"), /orun backend at http:\/\/127\.0\.0\.1:\d+ is unavailable: ECONNREFUSED/);
    // Retries can last minutes (the default budget is 2m): the caller is told once, not left looking hung.
    assert.equal(said.length, 1, said.join("\n"));
    assert.match(said[0]!, /^orun backend at http:\/\/127\.0\.0\.1:\d+ is not answering \(.*ECONNREFUSED.*\); retrying for up to 0\.\ds$/);
  });

  it("a server that is not an orun backend (an HTML page with 200) is named as such, in the client and the CLI, not a JSON parse error", async () => {
    const url = await serve((_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<html>sign in</html>"));
    const client = new BackendClient({ baseUrl: url, auth });
    await assert.rejects(client.claim("r", "a@dev.x", "me"), (err: Error) => {
      assert.match(err.message, /^the server at http:\/\/127\.0\.0\.1:\d+ is not an orun backend: POST \/v1\/runs\/r\/jobs\/a%40dev\.x\/claim answered HTTP 200 text\/html, not JSON/);
      return true;
    });
    const cli = await runOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "r1"], { env: { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "" } });
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /✕ the server at http:\/\/127\.0\.0\.1:\d+ is not an orun backend: GET \/v1\/runs\/r1 answered HTTP 200 text\/html, not JSON \(is --backend-url \/ ORUN_BACKEND_URL the orun backend's address\?\)/);
    assert.doesNotMatch(cli.stderr, /Unexpected token/);
  });

  it("announces retrying once per outage: again only after the backend answered in between", async () => {
    const url = await serve((_req, res, n) => {
      if (n === 1 || n === 2 || n === 4) return res.writeHead(503).end("busy");
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    const said: string[] = [];
    const kinds: string[] = [];
    const client = new BackendClient({ baseUrl: url, auth, retryBudgetMs: 30_000, onRetrying: (m, kind) => { said.push(m); kinds.push(kind); } });
    await client.getRun("r"); // 503, 503, 200: one notice, and one that it takes requests again
    assert.equal(said.length, 2);
    assert.equal(said[1], `orun backend at ${url} is taking requests again`);
    await client.getRun("r"); // 503, 200: a new outage, a new notice
    assert.equal(said.length, 4);
    // It answered, so it is busy, not "not answering" (rev30b: the log budget's 503 was announced so).
    assert.match(said[2]!, /^orun backend at \S+ is busy \(busy \(HTTP_503\)\); retrying for up to/);
    await client.getRun("r"); // 200: nothing to say
    assert.equal(said.length, 4);
    // Each notice says what happened, so a listener decides on that rather than on the message's wording.
    assert.deepEqual(kinds, ["outage", "recovered", "outage", "recovered"]);
  });

  it("says what the backend did: busy for a 503 or 429 (the log budget's), the status it answered for a 500, not answering when nothing came back", async () => {
    const answers = [
      { status: 503, body: { error: "Too many log bytes being received at once (4194304 of 4194304); retry shortly", code: "UNAVAILABLE" } },
      { status: 429, body: { error: "Too many requests", code: "RATE_LIMITED" } },
      { status: 500, body: { error: "Internal error", code: "INTERNAL" } },
    ];
    let next = 0;
    const url = await serve((_req, res, n) => {
      // Each answer once, then a success: one notice each, and one that it is back.
      if (n % 2 === 1) return res.writeHead(answers[next]!.status, { "Content-Type": "application/json", "Retry-After": "0" }).end(JSON.stringify(answers[next++]!.body));
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    const said: string[] = [];
    const client = new BackendClient({ baseUrl: url, auth, retryBudgetMs: 30_000, onRetrying: (m) => said.push(m) });
    for (let i = 0; i < answers.length; i++) await client.getRun("r");
    assert.deepEqual(said, [
      `orun backend at ${url} is busy (Too many log bytes being received at once (4194304 of 4194304); retry shortly (UNAVAILABLE)); retrying for up to ${said[0]!.split("retrying for up to ")[1]}`,
      `orun backend at ${url} is taking requests again`,
      `orun backend at ${url} is busy (Too many requests (RATE_LIMITED)); retrying for up to ${said[2]!.split("retrying for up to ")[1]}`,
      `orun backend at ${url} is taking requests again`,
      `orun backend at ${url} answered HTTP 500 (Internal error (INTERNAL)); retrying for up to ${said[4]!.split("retrying for up to ")[1]}`,
      `orun backend at ${url} is taking requests again`,
    ]);
    assert.doesNotMatch(said.join("\n"), /not answering|answering again/);
  });

  it("a refused ORUN_TOKEN says the token was refused (it is set), an OIDC refusal for a reason it does not know points at issuer, audience and allow-lists", async () => {
    const url = await serve((_req, res) => void res.writeHead(401, { "Content-Type": "application/json" }).end('{"error":"Malformed JWT","code":"UNAUTHORIZED"}'));
    const hint = (err: unknown): string => (err as { hint?: string }).hint ?? "";
    await assert.rejects(new BackendClient({ baseUrl: url, auth }).getRun("r"), (err) => {
      assert.match((err as Error).message, /^authentication failed: Malformed JWT \(UNAUTHORIZED\)/);
      assert.match(hint(err), /^ORUN_TOKEN is set but this backend refused it/);
      return true;
    });
    const oidc = { kind: "oidc" as const, token: async () => "jwt" };
    await assert.rejects(new BackendClient({ baseUrl: url, auth: oidc }).getRun("r"), (err) => {
      assert.match(hint(err), /^the backend refused this workflow's GitHub OIDC token: check its --oidc-issuer and --oidc-audience \(ORUN_OIDC_AUDIENCE here\) and its --allow-owner \/ --allow-repo$/);
      return true;
    });
  });

  it("an OIDC 403 names the allow list only when the backend says the repository is not allowed", async () => {
    let reason = "";
    const url = await serve((_req, res) => void res.writeHead(403, { "Content-Type": "application/json" }).end(JSON.stringify({ error: reason, code: "FORBIDDEN" })));
    const oidc = { kind: "oidc" as const, token: async () => "jwt" };
    const refusal = async (why: string): Promise<{ message: string; hint?: string }> => {
      reason = why;
      const err = await new BackendClient({ baseUrl: url, auth: oidc }).getRun("r").then(
        () => assert.fail("a 403 must be refused"),
        (e: unknown) => e as { message: string; hint?: string },
      );
      assert.ok(err.message.startsWith(`authentication failed: ${why} (FORBIDDEN)`), err.message);
      return err;
    };
    const allowList = /allow list|--allow-owner|--allow-repo/;
    assert.match((await refusal("Repository other/repo is not allowed to use this backend (see its --allow-owner / --allow-repo)")).hint ?? "", /the repository is not on its allow list/);
    assert.equal(
      (await refusal("Namespace mismatch")).hint,
      "the backend refused this workflow's GitHub OIDC token for this run's namespace: a workflow's token creates runs only in its own repository's namespace",
    );
    // Spec 40's other 403s (a v2 backend's wrong-credential refusals): the backend's words, no allow-list guess.
    for (const why of ["OIDC authentication required", "Session authentication required", "Deploy token not accepted for this endpoint"]) {
      assert.doesNotMatch((await refusal(why)).hint ?? "", allowList, why);
    }
  });
});

/**
 * A fake backend on loopback answering `answer(path, body)` (JSON), and remote hooks for one job of a plan
 * (api@dev.deploy, waiting for db@dev.migrate) talking to it; the server is closed after `fn`.
 */
async function withHooks(
  answer: (path: string, body: string) => unknown,
  fn: (ctx: { hooks: RemoteHooks; job: PlanJob; lines: string[] }) => Promise<void>,
): Promise<void> {
  const { RemoteHooks } = await import("../../src/remote/hooks.js");
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer(new URL(req.url ?? "/", "http://x").pathname, body))));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const job: PlanJob = { id: "api@dev.deploy", name: "deploy", component: "api", environment: "dev", dependsOn: ["db@dev.migrate"], steps: [] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs: [job] };
    plan.metadata.checksum = computePlanChecksum(plan);
    const lines: string[] = [];
    const hooks = new RemoteHooks({ client: new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "orun_t" } }), plan, runId: "r", runnerId: "me", mode: "job", say: (l) => lines.push(l) });
    try {
      await fn({ hooks, job, lines });
    } finally {
      await hooks.close();
    }
  } finally {
    server.close();
  }
}

describe("remote hooks: a dependency nobody runs", () => {
  it("says once that a dependency's runner stopped and nobody has taken it over, beside the usual wait line", async () => {
    let claims = 0;
    const answer = (path: string): unknown => {
      // As this backend answers a failFast plan's create: the run stops across runners.
      if (path === "/v1/runs") return { runId: "r", status: "running", createdAt: "", failFast: true };
      if (!path.endsWith("/claim")) return path.endsWith("/runnable") ? { jobs: [] } : { ok: true };
      claims++;
      if (claims === 1) return { claimed: false, currentStatus: "pending", depsWaiting: true };
      if (claims <= 3) return { claimed: false, currentStatus: "pending", depsWaiting: true, depsAbandoned: ["db@dev.migrate"] };
      return { claimed: true };
    };
    await withHooks(answer, async ({ hooks, job, lines }) => {
      assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.equal(lines[0], "○ waiting for dependencies of api@dev.deploy...");
      // The command names the run's plan by its ID: a fresh compile (another scope) could be another plan.
      assert.match(lines[1]!, /^! db@dev\.migrate: its runner stopped \(lease expired\) and no runner has taken it over; re-run it in this run: orun run [0-9a-f]{12} --job db@dev\.migrate --exec-id r --remote-state$/);
    });
  });
});

describe("remote hooks against a backend without long-poll (v2)", () => {
  it("polls /runnable with back-off until the claim succeeds, then reports the result", async () => {
    const calls: { path: string; at: number; body: string }[] = [];
    let claims = 0;
    const answer = (path: string, body: string): unknown => {
      calls.push({ path, at: Date.now(), body });
      if (path === "/v1/runs") return { runId: "r", status: "running", createdAt: "" };
      if (path.endsWith("/claim")) return ++claims < 3 ? { claimed: false, currentStatus: "pending", depsWaiting: true } : { claimed: true };
      if (path.endsWith("/runnable")) return { jobs: [] }; // v2: immediate, no `job`
      return { ok: true };
    };
    await withHooks(answer, async ({ hooks, job, lines }) => {
      const decision = await hooks.beforeJob(job, new AbortController().signal);
      assert.equal(decision.action, "run");
      assert.equal(decision.action === "run" && decision.stop?.aborted, false, "a stop signal, not aborted while the lease holds");
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.match(lines[0]!, /^! fail-fast: the backend at http:\/\/127\.0\.0\.1:\d+ cannot confirm that it stops remote run r across runners \(a v2 backend does not, an orun backend from before it said so does\); if it does not, a job failing/, "v2 does not confirm fail-fast: said once");
      assert.equal(lines[1], "○ waiting for dependencies of api@dev.deploy...");
      const polls = calls.filter((c) => c.path.endsWith("/runnable"));
      assert.equal(polls.length, 2);
      const claimTimes = calls.filter((c) => c.path.endsWith("/claim")).map((c) => c.at);
      assert.ok(claimTimes[1] - claimTimes[0] >= 450, "first back-off ≈ 500 ms");
      assert.ok(claimTimes[2] - claimTimes[1] >= 950, "then doubled");
      await hooks.afterJob(job, { status: "failed", error: "step main: exit status 3" });
      assert.deepEqual(JSON.parse(calls.at(-1)!.body), { runnerId: "me", status: "failed", error: "step main: exit status 3" });
    });
  });
});

describe("remote hooks: what the create answer says of fail-fast", () => {
  it("a backend answering failFast: false does not stop the run across runners; one answering true gets no caveat", async () => {
    for (const failFast of [false, true]) {
      const answer = (path: string): unknown => (path === "/v1/runs" ? { runId: "r", status: "running", createdAt: "", failFast } : path.endsWith("/claim") ? { claimed: true } : { ok: true });
      await withHooks(answer, async ({ hooks, job, lines }) => {
        assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
        const caveats = lines.filter((l) => l.startsWith("! fail-fast"));
        if (failFast) assert.deepEqual(caveats, []);
        else assert.match(caveats.join("\n"), /^! fail-fast: the backend at http:\/\/127\.0\.0\.1:\d+ does not stop remote run r across runners; a job failing on this runner stops only this runner/);
      });
    }
  });
});

describe("credentials", () => {
  const oidcVars = { ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:9/token", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req" };

  it("uses GitHub Actions OIDC only when GITHUB_ACTIONS=true, else ORUN_TOKEN; explains stray OIDC variables", () => {
    assert.equal(resolveTokenSource({ ...oidcVars, GITHUB_ACTIONS: "true", ORUN_TOKEN: "t" }).kind, "oidc");
    assert.equal(resolveTokenSource({ ...oidcVars, ORUN_TOKEN: "t" }).kind, "token");
    assert.equal(resolveTokenSource({ ...oidcVars, GITHUB_ACTIONS: "false", ORUN_TOKEN: "t" }).kind, "token");
    assert.throws(() => resolveTokenSource(oidcVars), /no credentials for the orun backend .*GITHUB_ACTIONS is not `true`/);
  });

  it("asks for the audience in ORUN_OIDC_AUDIENCE (default orun) and retries a token endpoint failing transiently, not a refusal", async () => {
    const seen: string[] = [];
    let failFirst = 0;
    let status = 503;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/token") {
        seen.push(url.searchParams.get("audience") ?? "");
        if (failFirst-- > 0) return void res.writeHead(status).end("nope");
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ value: `tok-${seen.length}` }));
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ auth: req.headers.authorization }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const vars = { GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?audience=other`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req" };
      await resolveTokenSource(vars).token();
      await resolveTokenSource({ ...vars, ORUN_OIDC_AUDIENCE: "orun-staging" }).token();
      assert.deepEqual(seen, ["orun", "orun-staging"]);
      failFirst = 2;
      const client = new BackendClient({ baseUrl: base, auth: resolveTokenSource(vars), retryBudgetMs: 30_000 });
      assert.deepEqual(await client.getRun("r"), { auth: "Bearer tok-5" }, "a third token request, after two 503s, authenticates the call");
      failFirst = 1;
      status = 403;
      const refused = new BackendClient({ baseUrl: base, auth: resolveTokenSource(vars), retryBudgetMs: 30_000 });
      const before = seen.length;
      await assert.rejects(refused.getRun("r"), /OIDC token request failed: HTTP 403/);
      assert.equal(seen.length - before, 1, "a refusal is not retried");
      // A token endpoint that keeps failing is given six tries, not the whole retry budget (minutes by default).
      failFirst = 100;
      status = 503;
      const down = new BackendClient({ baseUrl: base, auth: resolveTokenSource(vars), retryBudgetMs: 60_000 });
      const first = seen.length;
      await assert.rejects(down.getRun("r"), (err: Error & { hint?: string }) => /OIDC token request failed: HTTP 503/.test(err.message) && err.hint === "gave up after 6 attempts");
      assert.equal(seen.length - first, 6);
    } finally {
      server.close();
    }
  });
});

describe("remote hooks report jobs they do not run", () => {
  const job = (id: string) => {
    const [component, rest] = id.split("@");
    const [environment, name] = rest.split(".");
    return { id, name, component, environment, dependsOn: [], steps: [] };
  };

  it("reports a job it holds and will not run (blocked) as failed; leaves a job it never claimed (fail-fast, Ctrl-C) to the other runners", async () => {
    const { RemoteHooks } = await import("../../src/remote/hooks.js");
    const calls: { path: string; body: Record<string, unknown> }[] = [];
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        calls.push({ path, body });
        const send = (status: number, value: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
        if (path === "/v1/runs") return send(201, { runId: "r", status: "running", createdAt: "" });
        if (path.endsWith("/claim")) return send(200, path.includes("b@dev.x") ? { claimed: false, currentStatus: "running" } : { claimed: true });
        if (path.endsWith("/update") && body.status === "skipped") return send(400, { error: "status must be 'success' or 'failed'", code: "INVALID_REQUEST" });
        send(200, { ok: true });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const jobs = [job("a@dev.x"), job("b@dev.x")];
      const plan = { apiVersion: "orun.io/v1" as const, kind: "Plan" as const, metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs };
      plan.metadata.checksum = computePlanChecksum(plan);
      const hooks = new RemoteHooks({ client: new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "orun_t" } }), plan, runId: "r", runnerId: "me", mode: "plan", say: () => undefined });
      assert.equal((await hooks.beforeJob(jobs[0], new AbortController().signal)).action, "run");
      hooks.onJobNotRun(jobs[0], "blocked", "policy requireApproval: rerun with --approve");
      hooks.onJobNotRun(jobs[1], "skipped", "not started: fail-fast after z@dev.x failed");
      await hooks.close();
      assert.deepEqual(
        calls.map((c) => `${c.path} ${c.body.status ?? ""}`),
        ["/v1/runs ", "/v1/runs/r/jobs/a@dev.x/claim ", "/v1/runs/r/jobs/a@dev.x/update failed"],
        "nothing about b: this runner never claimed it",
      );
      assert.deepEqual(calls[2].body, { runnerId: "me", status: "failed", error: "blocked: policy requireApproval: rerun with --approve", tolerated: true }, "a blocked job does not trip fail-fast");
    } finally {
      server.close();
    }
  });
});

describe("remote hooks' lease watchdog after a stall", () => {
  it("judges the lease from the late tick's question: a slow answer after a stall does not stop the job", async () => {
    const { RemoteHooks } = await import("../../src/remote/hooks.js");
    let beats = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        const send = (status: number, value: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
        if (path === "/v1/runs") return send(201, { runId: "r", status: "running", createdAt: "" });
        // A 1 s lease: the runner beats every 250 ms, and the backend takes 300 ms to answer each beat.
        if (path.endsWith("/claim")) return send(200, { claimed: true, leaseMs: 1000 });
        if (path.endsWith("/heartbeat")) {
          beats++;
          return void setTimeout(() => send(200, { ok: true }), 300);
        }
        send(200, { ok: true });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const said: string[] = [];
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const jobs = [{ id: "a@dev.x", name: "x", component: "a", environment: "dev", dependsOn: [], steps: [] }];
      const plan = { apiVersion: "orun.io/v1" as const, kind: "Plan" as const, metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs };
      plan.metadata.checksum = computePlanChecksum(plan);
      const auth = { kind: "token" as const, token: async () => "orun_t" };
      const hooks = new RemoteHooks({ client: new BackendClient({ baseUrl, auth, onRetrying: () => undefined }), plan, runId: "r", runnerId: "me", mode: "plan", say: (m) => said.push(m) });
      const decision = await hooks.beforeJob(jobs[0], new AbortController().signal);
      assert.equal(decision.action, "run");
      const stop = (decision as { stop: AbortSignal }).stop;
      // This process stalls for longer than the lease (as a suspended or overloaded runner does).
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        // busy: no timer runs
      }
      // The late tick asks the backend; its answer takes 300 ms, longer than one beat.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      assert.equal(stop.aborted, false, said.join("\n"));
      assert.ok(beats >= 2, `heartbeats went on (${beats})`);
      await hooks.close();
    } finally {
      server.close();
    }
  });
});
