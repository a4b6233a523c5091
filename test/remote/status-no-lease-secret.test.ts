// `orun status --remote-state` (text and --json) tells a running job held without a lease secret — claimed without a
// claimKey, by a v2 runner or an orun runner from before lease secrets — from one held with a secret: such a job is
// held by runner ID alone (anyone of the namespace naming it can report or release it), and a backend started with
// --require-lease-secrets refuses its runner's writes. Status showed both as `on R`. A real backend on SQLite and on
// PostgreSQL, the two claims made over HTTP, `orun status` a real process.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type StoreKind, type TestBackend, type TestDatabase } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { PROJECT_ROOT } from "../support/cli.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`status --remote-state of jobs held with and without a lease secret, on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    let token: string;

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      // No sweep: the claims stay as made while status reads them.
      backend = await startTestBackend(db.url, { leaseMs: 3_600_000, sweepIntervalMs: 3_600_000 });
      token = await tokenFor(backend.store, "acme/widgets");
    });
    after(async () => {
      await backend?.stop();
      await db?.cleanup();
    });

    const status = async (runId: string, json = false): Promise<string> => {
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", NO_COLOR: "1" };
      const shown = await spawnOrun(["status", "--exec-id", runId, "--remote-state", "--backend-url", backend.url, ...(json ? ["--json"] : [])], { env }).done;
      assert.equal(shown.code, 0, shown.output);
      return shown.output;
    };

    it("says which running job its runner holds without a lease secret", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `no-lease-${kind}`;
      const created = await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ "a@dev.old": [], "b@dev.new": [], "c@dev.done": [] }), runId });
      assert.equal(created.status, 201, created.text);
      const claim = (jobId: string, body: Record<string, unknown>) => api<{ claimed: boolean }>(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, body);
      // An older runner's claim (no claimKey), a current one's (with one), and a key-less claim that has ended.
      assert.equal((await claim("a@dev.old", { runnerId: "runner-old" })).body.claimed, true);
      assert.equal((await claim("b@dev.new", { runnerId: "runner-new", claimKey: "runner-new-claim-key-0123456789" })).body.claimed, true);
      assert.equal((await claim("c@dev.done", { runnerId: "runner-old" })).body.claimed, true);
      const done = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("c@dev.done")}/update`, { runnerId: "runner-old", status: "success" });
      assert.equal(done.status, 200, done.text);

      const text = await status(runId);
      assert.match(text, /● a@dev\.old +running +\S+ +on runner-old \(no lease secret\)\n/, text);
      assert.match(text, /● b@dev\.new +running +\S+ +on runner-new\n/, text);
      assert.equal(text.match(/no lease secret/g)?.length, 1, text);

      const shown = JSON.parse(await status(runId, true)) as { state: { jobs: Record<string, { noLeaseSecret?: boolean }> } };
      assert.equal(shown.state.jobs["a@dev.old"]?.noLeaseSecret, true);
      assert.equal("noLeaseSecret" in shown.state.jobs["b@dev.new"]!, false);
      assert.equal("noLeaseSecret" in shown.state.jobs["c@dev.done"]!, false);
      const { Ajv } = await import("ajv");
      const schema = JSON.parse(await readFile(path.join(PROJECT_ROOT, "schemas/output/status.schema.json"), "utf8")) as object;
      const validate = new Ajv({ strict: false }).compile(schema);
      assert.ok(validate(shown), JSON.stringify(validate.errors));

      // The backend's own answer carries it, for another client to read.
      const jobs = await api<{ jobs: { jobId: string; noLeaseSecret?: boolean }[] }>(backend.url, token, "GET", `/v1/runs/${runId}/jobs`);
      assert.deepEqual(jobs.body.jobs.map((job) => [job.jobId, job.noLeaseSecret ?? false]), [["a@dev.old", true], ["b@dev.new", false], ["c@dev.done", false]]);
    });
  });
}
