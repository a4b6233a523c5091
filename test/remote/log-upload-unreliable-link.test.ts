// A job's remote log against a backend that is down for longer than the client's retry budget, or whose answers
// are lost. Before: a piece whose upload gave up was dropped (a hole in the log, said only on the runner's
// stderr); a retried piece that had landed was appended twice; and each queued piece waited out the whole retry
// budget in turn, one request series per piece. Now one upload is in flight per job, what failed is kept and
// sent again with what follows (a landed part skipped), and what could never be sent is counted and said.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, WatchedLogClient, type RemoteTestbed } from "./helpers.js";
import { until } from "../support/wait.js";

type Mode = "up" | "down" | "lose-answers" | "refuse";

describe("remote log uploads through an unreliable link", () => {
  let bed: RemoteTestbed;
  let relay: http.Server;
  let relayUrl: string;
  let mode: Mode = "up";
  let appends = 0;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev16rem-logup-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    const target = new URL(bed.backend.url);
    // Log appends: answered 503 ("down"), or forwarded with the answer thrown away ("lose-answers"); the rest passes.
    relay = http.createServer((req, res) => {
      const isAppend = req.method === "POST" && req.url?.includes("/logs/") === true;
      if (isAppend) appends++;
      if (isAppend && mode === "refuse") {
        req.resume();
        req.on("end", () => res.writeHead(409, { "content-type": "application/json" }).end('{"error":"Job w@dev.deploy is not running on runner me (running on other)","code":"CONFLICT"}'));
        return;
      }
      if (isAppend && mode === "down") {
        req.resume();
        req.on("end", () => res.writeHead(503, { "content-type": "application/json" }).end('{"error":"restarting","code":"UNAVAILABLE"}'));
        return;
      }
      const lose = isAppend && mode === "lose-answers";
      const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        if (lose) {
          answer.resume();
          answer.on("end", () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on("error", () => res.destroy());
      req.pipe(out);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  after(async () => {
    relay?.closeAllConnections();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await bed?.close();
  });

  function setup(runId: string): { job: PlanJob; hooks: RemoteHooks; said: string[] } {
    const job: PlanJob = { id: "w@dev.deploy", name: "deploy", component: "w", environment: "dev", dependsOn: [], steps: [{ id: "a", phase: "main", run: "x" }, { id: "b", phase: "main", run: "y" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: runId }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    // A short retry budget: an outage of a second outlasts it.
    const client = new BackendClient({ baseUrl: relayUrl, auth: { kind: "token", token: async () => bed.token }, retryBudgetMs: 400, onRetrying: () => undefined });
    const said: string[] = [];
    const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: (line) => void said.push(line) });
    return { job, hooks, said };
  }

  async function remoteLog(runId: string, jobId: string): Promise<string> {
    const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
    assert.equal(res.status, 200);
    return res.text();
  }

  it("a step's output whose upload gave up during an outage is sent with the next: the log has all of it, in order", async () => {
    const { job, hooks } = setup("outage");
    mode = "up";
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    mode = "down";
    hooks.onStepOutput(job, "a", "first step ✓ done\n");
    await hooks.onStepFinished(job, "a", "", false);
    mode = "up";
    hooks.onStepOutput(job, "b", "second step\n");
    await hooks.onStepFinished(job, "b", "", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    assert.equal(await remoteLog("outage", job.id), "=== a ===\nfirst step ✓ done\n=== b ===\nsecond step\n");
  });

  it("an append that landed though its answer was lost is not appended again when sent with later output", async () => {
    const { job, hooks } = setup("lost-answers");
    mode = "up";
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    mode = "lose-answers";
    hooks.onStepOutput(job, "a", "once only\n");
    await hooks.onStepFinished(job, "a", "", false);
    mode = "up";
    hooks.onStepOutput(job, "b", "after\n");
    await hooks.onStepFinished(job, "b", "", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    assert.equal(await remoteLog("lost-answers", job.id), "=== a ===\nonce only\n=== b ===\nafter\n");
  });

  it("a backend down for the whole job costs a few upload attempts, not one series per piece, and the runner says what was not uploaded", async () => {
    const { job, hooks, said } = setup("down-all-along");
    mode = "up";
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    mode = "down";
    const before = appends;
    // Eight 1 MiB pieces, queued as fast as a step prints them.
    const piece = `${"y".repeat(1023)}\n`.repeat(1024);
    for (let i = 0; i < 8; i++) hooks.onStepOutput(job, "a", piece);
    await hooks.onStepFinished(job, "a", "", false);
    await hooks.afterJob(job, { status: "completed" }).catch(() => undefined);
    await hooks.close();
    mode = "up";
    const attempts = appends - before;
    // Each upload attempt is a few requests within the 400 ms budget; before, each of the 8 pieces made its own.
    assert.ok(attempts <= 12, `${attempts} append requests`);
    const note = said.find((line) => /log of w@dev\.deploy: \d+ bytes not uploaded/.test(line));
    assert.ok(note, said.join("\n"));
    assert.equal(Number(/: (\d+) bytes not uploaded/.exec(note)![1]), "=== a ===\n".length + 8 * piece.length);
  });

  it("a running step's lines go up every 2 s only while someone follows the run's logs; otherwise at the idle pace", { timeout: 60_000 }, async () => {
    mode = "up";
    const job: PlanJob = { id: "f@dev.deploy", name: "deploy", component: "f", environment: "dev", dependsOn: [], steps: [{ id: "a", phase: "main", run: "x" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "followed" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new WatchedLogClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    // The paces scaled down: 2 s -> 100 ms, 30 s -> 4 s (room for a loaded machine's requests within it).
    const hooks = new RemoteHooks({ client, plan, runId: "followed", runnerId: "me", mode: "plan", say: () => undefined, liveFlushMs: { followed: 100, idle: 4_000 } });
    const log = () => remoteLog("followed", job.id).catch(() => "");
    try {
      assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
      hooks.onStepOutput(job, "a", "one\n");
      // A step's first lines go up soon, followed or not.
      await until(async () => (await log()).includes("one"), "the step's first line on the backend", 5_000);
      hooks.onStepOutput(job, "a", "two\n");
      const printed = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(await log(), "=== a ===\none\n", "nobody follows: later lines wait for the idle pace");
      // A follower reads the log as `orun logs --follow` does (ranged): the next append's answer tells the runner.
      const ranged = await fetch(`${bed.backend.url}/v1/runs/followed/logs/${encodeURIComponent(job.id)}?offset=0`, { headers: { Authorization: `Bearer ${bed.token}` } });
      assert.equal(ranged.status, 200);
      await ranged.arrayBuffer();
      assert.equal(client.appendsSent.filter((append) => append.content.includes("two")).length, 0, `the follower read the log ${Date.now() - printed} ms after "two" was printed, after its idle-paced upload`);
      await until(async () => (await log()).includes("two"), "the idle-paced line", 10_000);
      await until(() => client.toldFollowed, "the runner to learn of the follower", 10_000);
      hooks.onStepOutput(job, "a", "three\n");
      const sent = Date.now();
      const took = (await client.sentAt("three", 10_000)) - sent;
      assert.ok(took < 2_000, `a followed line was sent ${took} ms after it was printed (the idle pace is 4 s)`);
      await until(async () => (await log()).includes("three"), "the followed line on the backend", 10_000);
      await hooks.onStepFinished(job, "a", "", false);
      await hooks.afterJob(job, { status: "completed" });
    } finally {
      await hooks.close();
    }
    assert.equal(await log(), "=== a ===\none\ntwo\nthree\n");
  });

  it("an upload the backend refuses (the job handed on) is said once, and the rest of the job's output counted, not sent piece by piece", async () => {
    const { job, hooks, said } = setup("refused");
    mode = "up";
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    mode = "refuse";
    const before = appends;
    for (const step of ["a", "b", "c"]) {
      hooks.onStepOutput(job, step, `${step} output\n`);
      await hooks.onStepFinished(job, step, "", false);
    }
    await hooks.afterJob(job, { status: "completed" }).catch(() => undefined);
    await hooks.close();
    mode = "up";
    assert.equal(appends - before, 1, "one refused append, then none");
    assert.equal(said.filter((l) => /log upload for w@dev\.deploy refused: Job w@dev\.deploy is not running on runner me/.test(l)).length, 1, said.join("\n"));
    const note = said.find((l) => /log of w@dev\.deploy: \d+ bytes not uploaded \(refused/.test(l));
    assert.equal(Number(/(\d+) bytes/.exec(note ?? "")?.[1]), 3 * "=== a ===\na output\n".length, said.join("\n"));
  });

  it("output longer than a request's piece is cut between characters: 4-byte UTF-8 (surrogate pairs) arrives whole", async () => {
    mode = "up";
    const { job, hooks } = setup("emoji");
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    // 1.2 M UTF-16 units: cut at 1 MiB of them, where the header and the "x" put a pair's halves either side.
    const text = `x${"😀".repeat(600_000)}\n`;
    hooks.onStepOutput(job, "a", text);
    await hooks.onStepFinished(job, "a", "", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    const log = await remoteLog("emoji", job.id);
    assert.equal(log.includes("\ufffd"), false, "no replacement character: no pair was split");
    assert.equal(log, `=== a ===\n${text}`);
  });
});
