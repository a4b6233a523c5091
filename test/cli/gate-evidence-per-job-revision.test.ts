// Promotion evidence is judged by the revision each job's own run vouched for (state.json jobs.<id>.revision), as the
// backend keeps no_evidence per job. A record whose deploy failed at commit C, then succeeded on a resume with an
// uncommitted fix, then was resumed once more from the clean (broken) C, got metadata.revision C back, and a
// promotion gate let C through on it; `orun gc` kept it as C's evidence too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, recordFile, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const GATE = { type: "environment-promotion" as const, environment: "staging", component: "api", condition: "success", match: { revision: "source" } };

interface Recorded {
  jobs: Record<string, { status: string; revision?: string }>;
}

function brokenRepo(t: { after(fn: () => void): void }): { repo: GitRepo; sha: string } {
  const repo = GitRepo.create({ "deploy.sh": "echo broken; exit 3\n", ".gitignore": ".orun/\n*.json\n" });
  t.after(() => repo.remove());
  return { repo, sha: repo.commit("broken deploy") };
}

async function writePlans(dir: string, sha: string): Promise<void> {
  await writePlan(
    dir,
    makePlan(
      [
        { id: "api@staging.build", steps: [{ run: "echo built" }] },
        { id: "api@staging.deploy", dependsOn: ["api@staging.build"], steps: [{ run: "sh deploy.sh" }] },
      ],
      { revision: sha },
    ),
    "stg.json",
  );
  await writePlan(dir, makePlan([{ id: "api@prod.deploy", gates: [GATE], steps: [{ run: "echo released" }] }], { revision: sha }), "rel.json");
}

test("a success of an uncommitted fix stays no evidence when a later resume runs from the clean commit: the gate blocks, status claims no revision, gc keeps nothing", async (t) => {
  const { repo, sha } = brokenRepo(t);
  const dir = repo.dir;
  const short = sha.slice(0, 12);
  await writePlans(dir, sha);
  const run = (...args: string[]) => runOrun(["run", ...args], { cwd: dir });

  assert.equal((await run("stg.json", "--exec-id", "stg")).code, 1, "the broken commit's deploy fails");
  await writeFile(repo.path("deploy.sh"), "exit 0\n");
  const fixed = await run("stg.json", "--exec-id", "stg");
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stderr, /uncommitted changes to tracked files \(deploy\.sh\), so this run records no promotion evidence/);
  repo.git("checkout", "deploy.sh");
  const again = await run("stg.json", "--exec-id", "stg");
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /promotion evidence/, "the tree is a clean checkout of the plan's commit again");

  const state = await readJson<Recorded>(recordFile(dir, "stg", "state.json"));
  assert.deepEqual(
    Object.entries(state.jobs).map(([id, job]) => [id, job.status, job.revision]),
    [
      ["api@staging.build", "completed", sha],
      ["api@staging.deploy", "completed", "none"],
    ],
  );
  const meta = await readJson<{ revision?: string }>(recordFile(dir, "stg", "metadata.json"));
  assert.equal(meta.revision, undefined, "the record holds a success of other code: it claims no revision");
  const status = await runOrun(["status", "--exec-id", "stg", "--json"], { cwd: dir });
  assert.equal((JSON.parse(status.stdout) as { meta?: { revision?: string } }).meta?.revision, undefined, status.stdout);

  const blockedBecause = `promotion gate: api must have succeeded in staging at revision ${short} (every api job in staging completed in execution stg, but api@staging.deploy succeeded from a tree that was not a clean checkout of this commit (uncommitted changes, or another commit; that run warned so), which is no evidence for it;`;
  const dry = await run("rel.json", "--exec-id", "rel", "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok(dry.stdout.includes(`would block: ${blockedBecause}`), dry.stdout);
  const release = await run("rel.json", "--exec-id", "rel");
  assert.equal(release.code, 1, release.stdout);
  const released = await readJson<{ jobs: Record<string, { status: string; reason?: string }> }>(recordFile(dir, "rel", "state.json"));
  assert.equal(released.jobs["api@prod.deploy"]?.status, "blocked");
  assert.ok(released.jobs["api@prod.deploy"]?.reason?.startsWith(blockedBecause), released.jobs["api@prod.deploy"]?.reason);

  const gc = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.doesNotMatch(gc.stdout, /kept stg/, "no evidence to keep");
  assert.match(gc.stdout, /Would remove stg$/m);
});

test("records of an orun before per-job revisions read as before: their metadata.revision is their results' revision, and a resume stamps them with it", async (t) => {
  const { repo, sha } = brokenRepo(t);
  const dir = repo.dir;
  repo.commit("working deploy", { "deploy.sh": "exit 0\n" });
  const fixedSha = repo.sha("HEAD");
  await writePlans(dir, fixedSha);
  const stg = await runOrun(["run", "stg.json", "--exec-id", "old"], { cwd: dir });
  assert.equal(stg.code, 0, stg.stderr);
  // What an older orun wrote: no revision on the results.
  const file = recordFile(dir, "old", "state.json");
  await writeFile(file, (await readFile(file, "utf8")).replace(/,\n\s*"revision": "[0-9a-f]{40}"/g, ""));
  assert.doesNotMatch(await readFile(file, "utf8"), /"revision"/);

  const dry = await runOrun(["run", "rel.json", "--exec-id", "rel", "--dry-run"], { cwd: dir });
  assert.ok(dry.stdout.includes("gate api in staging: satisfied by old"), dry.stdout);
  const gc = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir });
  assert.match(gc.stdout, new RegExp(`kept old \\(promotion-gate evidence: the newest success of api in staging at revision ${fixedSha.slice(0, 12)}\\)`), gc.stdout);

  // Resumed, its results take the revision its metadata gave them, and the record keeps it.
  const resumed = await runOrun(["run", "stg.json", "--exec-id", "old"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const state = await readJson<Recorded>(file);
  assert.deepEqual(Object.values(state.jobs).map((job) => job.revision), [fixedSha, fixedSha]);
  assert.equal((await readJson<{ revision?: string }>(recordFile(dir, "old", "metadata.json"))).revision, fixedSha);
  assert.notEqual(sha, fixedSha);
});

/**
 * Execution `execId` of plan all.json (staging deploy, then a prod deploy gated on it) in which staging succeeded only
 * with an uncommitted fix to deploy.sh, since undone: the checkout is clean at the plan's commit again. Returns its folder.
 */
async function stagingSucceededDirty(t: { after(fn: () => void): void }, execId: string): Promise<string> {
  const { repo, sha } = brokenRepo(t);
  const dir = repo.dir;
  const plan = makePlan(
    [
      { id: "api@staging.deploy", steps: [{ run: "sh deploy.sh" }] },
      { id: "api@prod.deploy", dependsOn: ["api@staging.deploy"], gates: [GATE], steps: [{ run: "echo released" }] },
    ],
    { revision: sha },
  );
  await writePlan(dir, plan, "all.json");
  await writeFile(repo.path("deploy.sh"), "exit 0\n");
  const dirty = await runOrun(["run", "all.json", "--exec-id", execId, "--job", "api@staging.deploy"], { cwd: dir });
  assert.equal(dirty.code, 0, dirty.stderr);
  repo.git("checkout", "deploy.sh");
  return dir;
}

test("a resume's dry run does not offer a completed job of the record as what lifts the block: that job will not run again", async (t) => {
  const dir = await stagingSucceededDirty(t, "a2");
  const dry = await runOrun(["run", "all.json", "--exec-id", "a2", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would block: promotion gate: api must have succeeded in staging/, dry.stdout);
  assert.doesNotMatch(dry.stdout, /unless this run's/, dry.stdout);
  const real = await runOrun(["run", "all.json", "--exec-id", "a2"], { cwd: dir });
  assert.equal(real.code, 1, real.stdout);
  const state = await readJson<Recorded>(recordFile(dir, "a2", "state.json"));
  assert.equal(state.jobs["api@prod.deploy"]?.status, "blocked");
});

test("a resume's dry run judges an older orun's results by the revision its record kept, as the real run does: a dirty success stays no evidence", async (t) => {
  const dir = await stagingSucceededDirty(t, "a1");
  // As an older orun wrote it: no revision on the results; the dirty run left none in metadata.json either.
  const file = recordFile(dir, "a1", "state.json");
  await writeFile(file, (await readFile(file, "utf8")).replace(/,\n\s*"revision": "none"/g, ""));
  assert.doesNotMatch(await readFile(file, "utf8"), /"revision"/);
  assert.equal((await readJson<{ revision?: string }>(recordFile(dir, "a1", "metadata.json"))).revision, undefined);

  const notClean = /would block: promotion gate: api must have succeeded in staging at revision [0-9a-f]{12} \(.*api@staging\.deploy succeeded from a tree that was not a clean checkout/;
  const dry = await runOrun(["run", "all.json", "--exec-id", "a1", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, notClean, dry.stdout);
  assert.doesNotMatch(dry.stdout, /satisfied by/, dry.stdout);
  const real = await runOrun(["run", "all.json", "--exec-id", "a1"], { cwd: dir });
  assert.equal(real.code, 1, real.stdout);
  assert.equal((await readJson<Recorded>(file)).jobs["api@prod.deploy"]?.status, "blocked");
});
