// Under remote state a runner reports the revision its jobs ran at, judged in the folder they run in (--workdir,
// GITHUB_WORKSPACE, else each job's folder), not the intent's or the current folder (src/runtime/run-revision.ts).
// A `--retry` of a fixed copy through --workdir from a clean checkout of the broken commit used to be evidence for
// the broken commit (prod of it then deployed), a gated prod job whose --workdir held other code passed its gate,
// and a clean checkout of the plan's commit named by --workdir from another repository's folder was no evidence.
// The shallow, detached checkouts of a GitHub Actions matrix still promote. Real processes: `orun backend serve` on
// loopback (SQLite and PostgreSQL), `orun run` runners in git repositories under /tmp.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { servedBackend } from "./backend-process-bed.js";
import { api, enc, type StoreKind } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const BROKEN = 'echo "deploying $1 (broken)"; exit 3\n';
const FIXED = 'echo "deploying $1 (fixed)"\n';
const UNTESTED = 'echo "deploying $1 (UNTESTED)"\n';
const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

const gatedPlan = (revision: string) =>
  makePlan(
    [
      { id: "api@dev.deploy", steps: [{ run: "sh api/deploy.sh dev" }] },
      { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "sh api/deploy.sh prod" }] },
    ],
    { revision, name: "gated" },
  );

/** A folder outside any repository holding api/deploy.sh. */
function codeCopy(t: { after(fn: () => void): void }, script: string): string {
  const dir = tempDir("orun-code-copy-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, "api"));
  writeFileSync(path.join(dir, "api/deploy.sh"), script);
  return dir;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`promotion evidence judged where the jobs run, on ${kind}`, () => {
    let repo: GitRepo;
    const served = servedBackend(kind);
    const orun = (args: string[], runId: string, cwd = repo.dir, extraEnv: NodeJS.ProcessEnv = {}) =>
      spawnOrun(["run", ...args, "--exec-id", runId, "--remote-state"], { cwd, env: served.env(extraEnv) }).done;
    const evidence = async (revision: string) =>
      (await api<{ satisfied: boolean; runId?: string }>(served.backend.url, served.token, "GET", `/v1/evidence?component=api&environment=dev&revision=${enc(revision)}`)).body;

    before(() => {
      if (!served.db) return;
      repo = GitRepo.create({ "api/deploy.sh": BROKEN, ".gitignore": ".orun/\nplan-*.json\n" });
      repo.commit("initial");
    });
    after(() => repo?.remove());

    it("a --retry whose jobs run a fixed copy through --workdir is no evidence for the clean broken commit: prod of it stays blocked", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const broken = repo.commit("break", { "api/deploy.sh": BROKEN });
      await writePlan(repo.dir, gatedPlan(broken), "plan-wd.json");
      const failed = await orun(["plan-wd.json", "--job", "api@dev.deploy"], "wd-1");
      assert.equal(failed.code, 1, failed.output);

      const copy = codeCopy(t, FIXED);
      const retried = await orun(["plan-wd.json", "--job", "api@dev.deploy", "--retry", "--workdir", copy], "wd-1");
      assert.equal(retried.code, 0, retried.output);
      const short = broken.slice(0, 12);
      assert.ok(
        retried.output.includes(`the jobs run in ${copy}, which is not in a git repository (nothing shows it holds ${short}), so the jobs this runner runs in remote run wd-1 record no promotion evidence for commit ${short}\n`),
        retried.output,
      );
      const reason = `the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision ${short}`;
      assert.deepEqual(
        await evidence(broken),
        { satisfied: false, withheld: { runId: "wd-1", jobId: "api@dev.deploy", cause: "other-checkout", reason } },
        "dev never succeeded running the broken commit",
      );

      // Production of the broken commit, from its clean checkout: blocked, and the reason names the one cause and its way out.
      const prod = await orun(["plan-wd.json", "--job", "api@prod.deploy", "--verbose"], "wd-prod");
      assert.equal(prod.code, 1, prod.output);
      assert.doesNotMatch(prod.output, /deploying prod/);
      assert.ok(
        prod.output.includes(
          `promotion gate: api must have succeeded in dev at revision ${short} (the backend's run wd-1 at that revision had every api job in dev succeed, but api@dev.deploy ran from a checkout that was not that commit (it had moved on, had edits, or was another folder) and records no evidence: ${reason}; a fix is evidence once committed: run that commit's plan in dev and promote it, or run dev again from a clean checkout of this commit)`,
        ),
        prod.output,
      );
      assert.doesNotMatch(prod.output, /OIDC token/, "not the other cause");

      // orun status marks the success that is no evidence, and says why.
      const status = await spawnOrun(["status", "--remote-state", "--exec-id", "wd-1"], { cwd: repo.dir, env: served.env() }).done;
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, new RegExp(`✓ api@dev\\.deploy +success +\\S+ +retried once · no promotion evidence: ${escapeRegExp(reason)}\n`));
      const json = await spawnOrun(["status", "--remote-state", "--exec-id", "wd-1", "--json"], { cwd: repo.dir, env: served.env() }).done;
      assert.equal(json.code, 0, json.output);
      const job = (JSON.parse(json.output) as { state: { jobs: Record<string, { status: string; noPromotionEvidence?: unknown }> } }).state.jobs["api@dev.deploy"];
      assert.deepEqual([job?.status, job?.noPromotionEvidence], ["completed", { cause: "other-checkout", reason }]);
    });

    it("a gated prod job whose --workdir holds other code is blocked, though its tree is the tested commit, clean", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const tested = repo.commit("tested", { "api/deploy.sh": FIXED });
      await writePlan(repo.dir, gatedPlan(tested), "plan-prodwd.json");
      const dev = await orun(["plan-prodwd.json", "--job", "api@dev.deploy"], "prodwd-dev");
      assert.equal(dev.code, 0, dev.output);
      assert.deepEqual(await evidence(tested), { satisfied: true, runId: "prodwd-dev" });

      const other = GitRepo.create({ "api/deploy.sh": UNTESTED });
      t.after(() => other.remove());
      const untested = other.commit("untested");
      const prod = await orun(["plan-prodwd.json", "--job", "api@prod.deploy", "--workdir", other.dir, "--verbose"], "prodwd-prod");
      assert.equal(prod.code, 1, prod.output);
      assert.doesNotMatch(prod.output, /UNTESTED/);
      assert.ok(
        prod.output.includes(
          `the working tree ${other.dir} (where the jobs run) is at ${untested.slice(0, 12)}, not at the plan's revision ${tested.slice(0, 12)}, so the jobs this runner runs in remote run prodwd-prod record no promotion evidence`,
        ),
        prod.output,
      );
      assert.ok(prod.output.includes(`promotion gate: api must have succeeded in dev at the plan's revision ${tested.slice(0, 12)}, but this run vouches for none`), prod.output);

      // Its own tree, the tested commit, passes.
      const sound = await orun(["plan-prodwd.json", "--job", "api@prod.deploy", "--verbose"], "prodwd-prod-2");
      assert.equal(sound.code, 0, sound.output);
      assert.match(sound.output, /deploying prod \(fixed\)/);
    });

    it("a clean run at the plan's commit through --workdir, started from another repository's folder, is evidence", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const sound = repo.commit("sound", { "api/deploy.sh": FIXED.replace("fixed", "sound") });
      const ops = GitRepo.create({ "README.md": "ops\n", ".gitignore": ".orun/\nplan-*.json\n" });
      t.after(() => ops.remove());
      ops.commit("ops");
      await writePlan(ops.dir, gatedPlan(sound), "plan-sound.json");
      const dev = await orun(["plan-sound.json", "--job", "api@dev.deploy", "--workdir", repo.dir], "ops-1", ops.dir);
      assert.equal(dev.code, 0, dev.output);
      assert.doesNotMatch(dev.output, /promotion evidence/);
      assert.deepEqual(await evidence(sound), { satisfied: true, runId: "ops-1" });
    });

    it("GitHub Actions legs in shallow, detached checkouts (GITHUB_WORKSPACE) record evidence and pass the gate", async (t) => {
      if (!served.db) return t.skip("PostgreSQL unavailable");
      const sha = repo.commit("released", { "api/deploy.sh": FIXED.replace("fixed", "released") });
      const planDir = tempDir("orun-gha-plan-");
      t.after(() => rmSync(planDir, { recursive: true, force: true }));
      const planFile = await writePlan(planDir, gatedPlan(sha), "plan-gha.json");
      const leg = async (job: string, runId: string) => {
        const workspace = tempDir("orun-gha-leg-");
        t.after(() => rmSync(workspace, { recursive: true, force: true }));
        execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo.dir}`, workspace], { stdio: "ignore" });
        execFileSync("git", ["-C", workspace, "checkout", "-q", "--detach", sha], { stdio: "ignore" });
        const gha = { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: workspace, GITHUB_RUN_ID: "777", GITHUB_RUN_ATTEMPT: "1", GITHUB_SHA: sha, GITHUB_JOB: "leg" };
        return orun([planFile, "--job", job, "--gha", "--verbose"], runId, workspace, gha);
      };
      const dev = await leg("api@dev.deploy", "gha-1");
      assert.equal(dev.code, 0, dev.output);
      assert.doesNotMatch(dev.output, /promotion evidence/);
      assert.deepEqual(await evidence(sha), { satisfied: true, runId: "gha-1" });
      const prod = await leg("api@prod.deploy", "gha-prod-1");
      assert.equal(prod.code, 0, prod.output);
      assert.match(prod.output, /deploying prod \(released\)/);
    });
  });
}
