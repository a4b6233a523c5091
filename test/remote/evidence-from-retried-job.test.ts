// Promotion-gate evidence under remote state vouches for the code that ran. A job retried in its remote run after a
// fix — `orun run <plan file> --job X --retry` from a tree that moved on, or a fresh plan that joins the run as the
// run's plan (they differ only in revision) — ran other code than the run's revision: the backend must not count its
// success as the component's success at that revision, or a gated production job of that revision would pass on dev
// evidence for code that never ran in dev. A run whose jobs ran the run's own commit still records evidence.
// Real processes: `orun backend serve` on loopback (SQLite and PostgreSQL), `orun run` runners in a git repository.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { GitRepo } from "../planner/changes/git-repo.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { servedBackend } from "./backend-process-bed.js";
import { api, enc, type StoreKind } from "./helpers.js";
import { shComposition, shIntent, shRepo } from "./lib-app-repo.js";
import { spawnOrun } from "./processes.js";

const BROKEN = 'echo "deploying $1 (broken)"; exit 3\n';
const FIXED = 'echo "deploying $1 (fixed)"\n';
const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

/** api@dev.deploy, and api@prod.deploy behind a gate on api's success in dev (as a prod-only plan has it), at `revision`. */
const gatedPlan = (revision: string) =>
  makePlan(
    [
      { id: "api@dev.deploy", steps: [{ run: "sh api/deploy.sh dev" }] },
      { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "sh api/deploy.sh prod" }] },
    ],
    { revision, name: "gated" },
  );

/**
 * An orun backend from before the runner reported the revision a job ran at, simulated in front of a real one: a
 * loopback relay that drops `revision` from job results and `evidence` from their answers.
 */
async function startOlderBackendRelay(target: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const isUpdate = req.method === "POST" && /\/jobs\/[^/]+\/update$/.test(req.url ?? "");
      const without = (text: string, field: string) => JSON.stringify({ ...(JSON.parse(text) as object), [field]: undefined });
      let body = chunks.length ? Buffer.concat(chunks).toString("utf8") : undefined;
      if (isUpdate && body) body = without(body, "revision");
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "x-orun-lease"]) if (req.headers[name]) headers[name] = String(req.headers[name]);
      void fetch(target + (req.url ?? "/"), { method: req.method, headers, body }).then(async (answer) => {
        let text = await answer.text();
        if (isUpdate && answer.ok) text = without(text, "evidence");
        res.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json" }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`promotion evidence from a job retried at other code, on ${kind}`, () => {
    let repo: GitRepo;
    const served = servedBackend(kind);
    const orun = (args: string[], runId: string) => spawnOrun(["run", ...args, "--exec-id", runId, "--remote-state"], { cwd: repo.dir, env: served.env() }).done;
    const evidence = async (revision: string) =>
      (await api<{ satisfied: boolean; runId?: string }>(served.backend.url, served.token, "GET", `/v1/evidence?component=api&environment=dev&revision=${enc(revision)}`)).body;
    const jobOf = async (runId: string, jobId: string) =>
      (await api<{ status: string; lastError: string | null }>(served.backend.url, served.token, "GET", `/v1/runs/${enc(runId)}/jobs/${enc(jobId)}/status`)).body;

    before(() => {
      if (!served.db) return;
      repo = shRepo(shIntent("promote", [{ name: "api" }]), shComposition("deploy", "sh ./deploy.sh env"), { "api/deploy.sh": BROKEN, ".gitignore": ".orun/\nplan-*.json\n" });
      repo.commit("initial");
    });
    after(() => repo?.remove());

    it("a plan file's job retried after a committed fix is no evidence for the plan's commit: prod of that commit stays blocked", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const broken = repo.commit("break", { "api/deploy.sh": BROKEN });
      await writePlan(repo.dir, gatedPlan(broken), "plan-broken.json");
      const failed = await orun(["plan-broken.json", "--job", "api@dev.deploy"], "retried-1");
      assert.equal(failed.code, 1, failed.output);

      const fixed = repo.commit("fix", { "api/deploy.sh": FIXED });
      const retried = await orun(["plan-broken.json", "--job", "api@dev.deploy", "--retry"], "retried-1");
      assert.equal(retried.code, 0, retried.output);
      assert.equal((await jobOf("retried-1", "api@dev.deploy")).status, "success");
      const notPlans = `the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision ${broken.slice(0, 12)}`;
      assert.deepEqual(
        await evidence(broken),
        { satisfied: false, withheld: { runId: "retried-1", jobId: "api@dev.deploy", cause: "other-checkout", reason: notPlans } },
        "dev never succeeded at the broken commit",
      );

      // The production pipeline of the broken commit: its gate blocks, and prod does not deploy.
      repo.git("checkout", "-q", broken);
      t.after(() => repo.git("checkout", "-q", "main"));
      const prod = await orun(["plan-broken.json", "--job", "api@prod.deploy"], "prod-1");
      assert.equal(prod.code, 1, prod.output);
      assert.match(prod.output, /promotion gate: api must have succeeded in dev/);
      assert.ok(prod.output.includes(`but api@dev.deploy ran from a checkout that was not that commit (it had moved on, had edits, or was another folder) and records no evidence: ${notPlans}; a fix is evidence once committed: run that commit's plan in dev and promote it, or run dev again from a clean checkout of this commit`), prod.output);
      assert.match((await jobOf("prod-1", "api@prod.deploy")).lastError ?? "", /^blocked: promotion gate/);
      repo.git("checkout", "-q", "main");

      // A run of the fixed commit's plan, at that commit, is evidence for it.
      await writePlan(repo.dir, gatedPlan(fixed), "plan-fixed.json");
      const sound = await orun(["plan-fixed.json", "--job", "api@dev.deploy"], "sound-1");
      assert.equal(sound.code, 0, sound.output);
      assert.doesNotMatch(sound.output, /no promotion evidence/);
      assert.deepEqual(await evidence(fixed), { satisfied: true, runId: "sound-1" });
      // What the retry said is so.
      assert.match(retried.output, new RegExp(`the jobs this runner runs in remote run retried-1 record no promotion evidence for commit ${broken.slice(0, 12)}`));
    });

    it("a plan file's job retried after an uncommitted fix is no evidence for the plan's commit", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const broken = repo.commit("break before an edit", { "api/deploy.sh": BROKEN });
      await writePlan(repo.dir, gatedPlan(broken), "plan-edited.json");
      const failed = await orun(["plan-edited.json", "--job", "api@dev.deploy"], "edited-1");
      assert.equal(failed.code, 1, failed.output);

      repo.write({ "api/deploy.sh": FIXED });
      t.after(() => repo.git("checkout", "--", "api/deploy.sh"));
      const retried = await orun(["plan-edited.json", "--job", "api@dev.deploy", "--retry"], "edited-1");
      assert.equal(retried.code, 0, retried.output);
      assert.equal((await jobOf("edited-1", "api@dev.deploy")).status, "success");
      const reason = `the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision ${broken.slice(0, 12)}`;
      assert.deepEqual(await evidence(broken), { satisfied: false, withheld: { runId: "edited-1", jobId: "api@dev.deploy", cause: "other-checkout", reason } });
      assert.match(retried.output, new RegExp(`so the jobs this runner runs in remote run edited-1 record no promotion evidence for commit ${broken.slice(0, 12)}\\n`));
      repo.git("checkout", "--", "api/deploy.sh");
    });

    it("a fresh plan that joins the run as the run's plan after a committed fix is no evidence for the run's commit", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const broken = repo.commit("break again", { "api/deploy.sh": BROKEN });
      const failed = await orun(["--job", "api@dev.deploy"], "joined-1");
      assert.equal(failed.code, 1, failed.output);

      const fixed = repo.commit("fix again", { "api/deploy.sh": FIXED });
      const retried = await orun(["--job", "api@dev.deploy", "--retry"], "joined-1");
      assert.equal(retried.code, 0, retried.output);
      assert.match(retried.output, /so it joins the run as plan [0-9a-f]{12}/);
      assert.equal((await jobOf("joined-1", "api@dev.deploy")).status, "success");
      const reason = `the runner reported running ${fixed.slice(0, 12)}, not the run's revision ${broken.slice(0, 12)}`;
      assert.deepEqual(
        await evidence(broken),
        { satisfied: false, withheld: { runId: "joined-1", jobId: "api@dev.deploy", cause: "other-code", reason } },
        "the joined run's revision is the broken commit",
      );
      assert.deepEqual(await evidence(fixed), { satisfied: false }, "nor is the joined run evidence for the fixed commit (its plan is the broken one's)");
      // What the runner said is so.
      assert.match(retried.output, new RegExp(`notice: the jobs this runner runs in remote run joined-1 record no promotion evidence for ${broken.slice(0, 12)} \\(they run commit ${fixed.slice(0, 12)}\\)\\n`));
    });

    it("an older orun backend ignores the revision a job ran at and counts the retried job: the runner says so", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const relay = await startOlderBackendRelay(served.backend.url);
      t.after(() => relay.close());
      const viaRelay = (args: string[], runId: string) =>
        spawnOrun(["run", ...args, "--exec-id", runId, "--remote-state"], { cwd: repo.dir, env: served.env({ ORUN_BACKEND_URL: relay.url }) }).done;
      const broken = repo.commit("break for the older backend", { "api/deploy.sh": BROKEN });
      await writePlan(repo.dir, gatedPlan(broken), "plan-older.json");
      const failed = await viaRelay(["plan-older.json", "--job", "api@dev.deploy"], "older-1");
      assert.equal(failed.code, 1, failed.output);

      const fixed = repo.commit("fix for the older backend", { "api/deploy.sh": FIXED });
      const retried = await viaRelay(["plan-older.json", "--job", "api@dev.deploy", "--retry"], "older-1");
      assert.equal(retried.code, 0, retried.output);
      const short = broken.slice(0, 12);
      assert.ok(
        retried.output.includes(
          `! the backend at ${relay.url} did not confirm that job api@dev.deploy, which ran other code than remote run older-1's revision ${short}, is no promotion evidence for ${short}: an older orun backend counts its success, so a promotion gate on ${short} may pass on code that did not run at ${short}\n`,
        ),
        retried.output,
      );
      // What it warns of (the documented limit): such a backend kept today's behaviour.
      assert.deepEqual(await evidence(broken), { satisfied: true, runId: "older-1" });

      // A job that ran its run's own commit gets no such warning.
      await writePlan(repo.dir, gatedPlan(fixed), "plan-older-fixed.json");
      const sound = await viaRelay(["plan-older-fixed.json", "--job", "api@dev.deploy"], "older-2");
      assert.equal(sound.code, 0, sound.output);
      assert.doesNotMatch(sound.output, /promotion evidence/);
    });
  });
}
