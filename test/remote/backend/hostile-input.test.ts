// Hostile strings reaching the store, on SQLite and PostgreSQL: a NUL or
// another control character in a URL's run or job ID (path or query), in a plan's fields, in
// an update's error text or in evidence parameters is a 400 naming the field
// (PostgreSQL text cannot hold NUL: it used to surface as a 500), and the
// run it aimed at keeps working.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql, type StoreKind } from "../helpers.js";

const NUL = "\u0000";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`hostile strings on ${kind}`, () => {
    const on = backendOnStore(kind, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }, "acme/hostile");
    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);

    maybe("control characters in URL IDs, plan fields, update errors and evidence queries are 400s naming the field, never 500s", async () => {
      const runId = `hostile-${Date.now()}`;
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), runId })).status, 201);
      const refused: [string, string, unknown, RegExp][] = [
        ["GET", `/v1/runs/${enc(`x${NUL}`)}`, undefined, /runId/],
        ["GET", `/v1/runs/${enc(`x${NUL}`)}/jobs`, undefined, /runId/],
        ["GET", `/v1/runs/${runId}/jobs/${enc(`a${NUL}`)}/status`, undefined, /jobId/],
        ["GET", `/v1/runs/${enc(`x\u001b[2J`)}/logs/a`, undefined, /runId/],
        ["GET", `/v1/runs/${runId}/logs/${enc(`a${NUL}`)}?offset=0`, undefined, /jobId/],
        ["POST", `/v1/runs/${runId}/logs/${enc(`a${NUL}`)}`, "text", /jobId/],
        ["POST", `/v1/runs/${enc(`x${NUL}`)}/jobs/a/claim`, { runnerId: "r1" }, /runId/],
        ["POST", `/v1/runs/${runId}/jobs/${enc(`a${NUL}`)}/claim`, { runnerId: "r1" }, /jobId/],
        ["POST", `/v1/runs/${runId}/jobs/${enc(`a${NUL}`)}/heartbeat`, { runnerId: "r1" }, /jobId/],
        // IDs in the query string too: a runnable long-poll's job (PostgreSQL's query failed: a 500), a log writer's runner.
        ["GET", `/v1/runs/${runId}/runnable?job=${enc(`a${NUL}`)}`, undefined, /Invalid job: control characters/],
        ["POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=${enc(`r${NUL}`)}`, "text", /Invalid runnerId/],
        ["GET", `/v1/evidence?component=${enc(`a${NUL}`)}&environment=dev&revision=abc`, undefined, /component/],
        ["POST", "/v1/runs", { plan: { ...planOf({ a: [] }), checksum: `abc${NUL}` } }, /checksum/],
        ["POST", "/v1/runs", { plan: { ...planOf({ a: [] }), revision: `r${NUL}` } }, /revision/],
        ["POST", "/v1/runs", { plan: { checksum: "abc", jobs: [{ jobId: "a", component: `c${NUL}` }] } }, /plan\.jobs\[0\]\.component/],
        ["POST", "/v1/runs", { plan: planOf({ a: [] }), actor: `me${NUL}` }, /actor/],
        ["POST", "/v1/runs", { plan: planOf({ a: [] }), triggerType: `ci${NUL}` }, /triggerType/],
        // An 8-bit CSI (U+009B) in an ID `orun status` prints: some terminals would clear the screen.
        ["POST", "/v1/runs", { plan: planOf({ "a\u009b2J@dev.x": [] }) }, /jobId/],
        ["POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "r\u0085" }, /runId/],
      ];
      for (const [method, path, body, field] of refused) {
        const res = await call(method, path, body);
        assert.equal(res.status, 400, `${method} ${JSON.stringify(path)} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(String(res.body.error), field);
      }

      // The run is untouched and still works: a failure's error text with a NUL in it is recorded (NUL replaced), not refused.
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r1" })).body.claimed, true);
      const failed = await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/update`, { runnerId: "r1", status: "failed", error: `step main: output ${NUL}here` });
      assert.equal(failed.status, 200, failed.text);
      const jobs = (await call("GET", `/v1/runs/${runId}/jobs`)).body as unknown as { jobs: { jobId: string; status: string; lastError: string }[] };
      assert.deepEqual(
        jobs.jobs.map((j) => [j.jobId, j.status, j.lastError]),
        [
          ["a@dev.x", "failed", "step main: output \uFFFDhere"],
          ["b@dev.x", "skipped", "dependency a@dev.x failed"],
        ],
      );
    });

    maybe("lone UTF-16 surrogates (valid JSON, not storable as UTF-8) in IDs and plan fields are 400s naming the field, never 500s or merged keys", async () => {
      // Raw JSON text: the escapes reach the server as written.
      const post = async (json: string) => {
        const res = await fetch(`${on.backend.url}/v1/runs`, { method: "POST", headers: { Authorization: `Bearer ${on.token}`, "Content-Type": "application/json" }, body: json });
        return { status: res.status, body: (await res.json()) as { error?: string; code?: string } };
      };
      const cases: [string, RegExp][] = [
        // Two distinct job IDs that UTF-8 would turn into one ("x\uFFFD"): a duplicate key (500 on PostgreSQL).
        ['{"runId":"sur-1","plan":{"checksum":"abc","jobs":[{"jobId":"x\\ud800"},{"jobId":"x\\udc00"}]}}', /jobId/],
        ['{"runId":"sur-2\\ud800","plan":{"checksum":"abc","jobs":[{"jobId":"a"}]}}', /runId/],
        ['{"runId":"sur-3","plan":{"checksum":"abc\\udfff","jobs":[{"jobId":"a"}]}}', /checksum/],
        ['{"runId":"sur-4","plan":{"checksum":"abc","jobs":[{"jobId":"a","component":"c\\ud800"}]}}', /component/],
        ['{"runId":"sur-5","plan":{"checksum":"abc","jobs":[{"jobId":"a"}]},"actor":"\\ud800"}', /actor/],
      ];
      for (const [json, field] of cases) {
        const res = await post(json);
        assert.equal(res.status, 400, `${json}: ${JSON.stringify(res.body)}`);
        assert.match(String(res.body.error), field);
        assert.match(String(res.body.error), /lone UTF-16 surrogate/);
      }
      // A pair is fine (an emoji in a component name).
      assert.equal((await post('{"runId":"sur-ok","plan":{"checksum":"abc","jobs":[{"jobId":"a","component":"c\\ud83d\\ude00"}]}}')).status, 201);
      const runId = `sur-${Date.now()}`;
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);
      const claim = await fetch(`${on.backend.url}/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { method: "POST", headers: { Authorization: `Bearer ${on.token}`, "Content-Type": "application/json" }, body: '{"runnerId":"r\\ud800"}' });
      assert.equal(claim.status, 400);
      assert.match(await claim.text(), /runnerId/);
    });

    maybe("a plan job's component that is not a string is a 400 naming it, and no run is stored", async () => {
      // The CLI's plan schema and the protocol (PlanJob.component: string) both want text; a number was stored as "".
      for (const [i, component] of [5, true, { name: "c" }, ["c"]].entries()) {
        const runId = `component-${i}-${Date.now()}`;
        const res = await call("POST", "/v1/runs", { runId, plan: { checksum: "abc", jobs: [{ jobId: "a", component: "ok" }, { jobId: "b", component }] } });
        assert.equal(res.status, 400, `${JSON.stringify(component)}: ${res.text}`);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(String(res.body.error), /plan\.jobs\[1\]\.component must be a string/);
        const stored = await sql<{ n: number | string }>(on.db!.url, "SELECT count(*) AS n FROM runs WHERE run_id = $1", [runId]);
        const jobs = await sql<{ n: number | string }>(on.db!.url, "SELECT count(*) AS n FROM jobs WHERE run_id = $1", [runId]);
        assert.deepEqual([Number(stored[0].n), Number(jobs[0].n)], [0, 0], "nothing stored");
      }
      // A job without a component stays accepted (v2 plans may leave it out).
      assert.equal((await call("POST", "/v1/runs", { runId: `component-none-${Date.now()}`, plan: { checksum: "abc", jobs: [{ jobId: "a" }] } })).status, 201);
    });
  });
}
