// A remote runner on GitHub Actions authenticates with an OIDC token whose `sha` claim is the commit its workflow run
// is for. When the runner reports running another commit (a workflow that checked out some other ref), its success is
// no promotion evidence: the runner says why, the backend logs it, and a gate on that revision stays blocked; a runner
// whose token is for the commit it ran records evidence. Real processes: `orun backend serve` on loopback (SQLite)
// with the suite's local OIDC issuer, `orun run` runners in a git repository with GitHub Actions' token variables.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GitRepo } from "../planner/changes/git-repo.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { servedBackend } from "./backend-process-bed.js";
import { api, enc } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const OTHER = "2222222222222222222222222222222222222222";

describe("promotion evidence from a GitHub Actions runner whose token is for another commit", () => {
  let repo: GitRepo;
  const served = servedBackend("sqlite", { oidcIssuer: true });
  /** `orun run plan.json --job api@dev.deploy` as a GitHub Actions leg whose OIDC token names commit `sha`. */
  const leg = (runId: string, sha: string) =>
    spawnOrun(["run", "plan.json", "--job", "api@dev.deploy"], {
      cwd: repo.dir,
      env: {
        ORUN_TOKEN: "",
        ORUN_BACKEND_URL: served.backend.url,
        ORUN_REMOTE_STATE: "true",
        ORUN_EXEC_ID: runId,
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: repo.dir,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${served.issuer!.tokenRequestUrl}?repo=acme/widgets&sha=${sha}`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: served.issuer!.requestToken,
      },
    }).done;
  const evidenceAt = async (revision: string) => (await api(served.backend.url, served.token, "GET", `/v1/evidence?component=api&environment=dev&revision=${enc(revision)}`)).body;

  before(() => {
    repo = GitRepo.create({ "api/deploy.sh": 'echo "deploying $1"\n', ".gitignore": ".orun/\nplan.json\n" });
    repo.commit("initial");
  });
  after(() => repo?.remove());

  it("the runner says why its success is no evidence, the backend logs it, and only a leg whose token is for the commit it ran counts", async () => {
    const head = repo.sha("HEAD");
    const gate = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };
    await writePlan(
      repo.dir,
      makePlan(
        [
          { id: "api@dev.deploy", steps: [{ run: "sh api/deploy.sh dev" }] },
          { id: "api@prod.deploy", gates: [gate], steps: [{ run: "sh api/deploy.sh prod" }] },
        ],
        { revision: head, name: "deploy" },
      ),
    );

    const elsewhere = await leg("token-other-1", OTHER);
    assert.equal(elsewhere.code, 0, elsewhere.output);
    const why = `the runner reported running ${head.slice(0, 12)}, but its GitHub Actions OIDC token is for commit ${OTHER.slice(0, 12)} (the commit its workflow run is for; the token's sha claim)`;
    assert.ok(
      elsewhere.output.includes(`! job api@dev.deploy succeeded, but the backend records it as no promotion evidence for ${head.slice(0, 12)} in remote run token-other-1: ${why}\n`),
      elsewhere.output,
    );
    assert.ok(served.backend.proc.output().includes(`orun backend: run token-other-1 of acme/widgets: job api@dev.deploy's success is no promotion evidence: ${why}\n`), served.backend.proc.output());
    const reason = why.replace(/^its /u, "the runner's ");
    assert.deepEqual(await evidenceAt(head), { satisfied: false, withheld: { runId: "token-other-1", jobId: "api@dev.deploy", cause: "oidc-commit", reason } });

    // A gate on that commit names the one cause (not a retry after a fix) and its way out; orun status marks the job.
    const env = served.env();
    const prod = await spawnOrun(["run", "plan.json", "--job", "api@prod.deploy", "--remote-state", "--exec-id", "token-prod-1"], { cwd: repo.dir, env }).done;
    assert.equal(prod.code, 1, prod.output);
    assert.doesNotMatch(prod.output, /deploying prod/);
    assert.ok(
      prod.output.includes(
        `promotion gate: api must have succeeded in dev at revision ${head.slice(0, 12)} (the backend's run token-other-1 at that revision had every api job in dev succeed, but api@dev.deploy ran on a GitHub Actions runner whose OIDC token does not vouch for that commit and records no evidence: ${reason}; run dev from a checkout of the commit its workflow run is for (github.sha), and promote that commit)`,
      ),
      prod.output,
    );
    assert.doesNotMatch(prod.output, /retried after a fix/, "not the other cause");
    const status = await spawnOrun(["status", "--remote-state", "--exec-id", "token-other-1"], { cwd: repo.dir, env }).done;
    assert.equal(status.code, 0, status.output);
    assert.ok(status.output.includes(`no promotion evidence: ${reason}\n`), status.output);
    const json = await spawnOrun(["status", "--remote-state", "--exec-id", "token-other-1", "--json"], { cwd: repo.dir, env }).done;
    const job = (JSON.parse(json.output) as { state: { jobs: Record<string, { noPromotionEvidence?: unknown }> } }).state.jobs["api@dev.deploy"];
    assert.deepEqual(job?.noPromotionEvidence, { cause: "oidc-commit", reason });

    const matching = await leg("token-same-1", head);
    assert.equal(matching.code, 0, matching.output);
    assert.doesNotMatch(matching.output, /promotion evidence/);
    assert.deepEqual(await evidenceAt(head), { satisfied: true, runId: "token-same-1" });
  });
});
