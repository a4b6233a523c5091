// `orun gc` and local promotion-gate evidence (src/runtime/gc-evidence.ts), through the built binary in a real git
// repository: gc --all removed the only record of dev's success, and the next gated prod run was blocked "no successful
// execution recorded" with nothing saying gc did it. Now the newest success of each component × environment stays,
// named as such, unless --drop-evidence; `gc --actions` prunes only the action cache; `orun plan` records no run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { makePlan, recordFile, removeDir, writePlan } from "../runtime/helpers.js";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";

const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

function gatedRepo(t: { after(fn: () => void): void }): { repo: GitRepo; sha: string } {
  const repo = GitRepo.create({ "deploy.sh": 'echo "deploying $1"; exit "${DEPLOY_EXIT:-0}"\n', ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  return { repo, sha: repo.commit("app") };
}

const gatedPlan = (revision: string) =>
  makePlan(
    [
      { id: "api@dev.deploy", steps: [{ run: "sh deploy.sh dev" }] },
      { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "sh deploy.sh prod" }] },
    ],
    { revision },
  );

const executions = async (dir: string) => (await readdir(path.join(dir, ".orun/executions")).catch(() => [] as string[])).filter((name) => name !== "latest").sort();

test("gc --all keeps the newest success of each component and environment, says so, and a later gated run passes; --drop-evidence removes it and the block says why", async (t) => {
  const { repo, sha } = gatedRepo(t);
  const dir = repo.dir;
  const short = sha.slice(0, 12);
  await writePlan(dir, gatedPlan(sha));
  const run = (job: string, execId: string, env: NodeJS.ProcessEnv = {}) => runOrun(["run", "plan.json", "--job", job, "--exec-id", execId], { cwd: dir, env });
  // An older dev success (superseded by d2) and a dev failure (no evidence): neither is kept.
  assert.equal((await run("api@dev.deploy", "d1")).code, 0);
  assert.equal((await run("api@dev.deploy", "dfail", { DEPLOY_EXIT: "3" })).code, 1);
  assert.equal((await run("api@dev.deploy", "d2")).code, 0);
  const p1 = await run("api@prod.deploy", "p1");
  assert.equal(p1.code, 0, p1.stdout + p1.stderr);

  const dry = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  const devNote = `(promotion-gate evidence: the newest success of api in dev at revision ${short})`;
  const prodNote = `(promotion-gate evidence: the newest success of api in prod at revision ${short})`;
  assert.equal(
    dry.stdout,
    ["  Would remove dfail", "  Would remove d1", `  kept p1 ${prodNote}`, `  kept d2 ${devNote}`, "", "Would remove 2 executions", "Would keep 2 executions as promotion-gate evidence (--drop-evidence removes them too)", ""].join("\n"),
  );
  assert.deepEqual(await executions(dir), ["d1", "d2", "dfail", "p1"], "dry-run removed nothing");

  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /^Kept 2 executions as promotion-gate evidence \(--drop-evidence removes them too\)$/m);
  assert.deepEqual(await executions(dir), ["d2", "p1"]);
  const again = await run("api@prod.deploy", "p2");
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.doesNotMatch(again.stdout, /blocked/);

  // p2 is now prod's newest success; p1 is an older one and goes.
  const dropped = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: dir });
  assert.equal(dropped.code, 0, dropped.stderr);
  assert.equal(
    dropped.stdout,
    [`  Removed p2 ${prodNote}`, "  Removed p1", `  Removed d2 ${devNote}`, "", "Removed 3 executions (2 holding promotion-gate evidence)", ""].join("\n"),
  );
  assert.deepEqual(await executions(dir), []);
  const blocked = await run("api@prod.deploy", "p3");
  assert.equal(blocked.code, 1, blocked.stdout + blocked.stderr);
  assert.ok(
    blocked.stdout.includes(`promotion gate: api must have succeeded in dev at revision ${short} (orun gc --drop-evidence removed execution d2, its success at this revision, on ${new Date().toISOString().slice(0, 10)}; run them for this commit first`),
    blocked.stdout,
  );
});

test("gc keeps the newest success at each of the --evidence-revisions newest revisions: an older commit staging validated can still be promoted; the block names gc when it removed it", async (t) => {
  const { repo, sha: first } = gatedRepo(t);
  const dir = repo.dir;
  await writePlan(dir, gatedPlan(first));
  const dev = (execId: string) => runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", execId], { cwd: dir });
  assert.equal((await dev("dev1")).code, 0);
  // main moves on and dev runs the next commit; the release promotes the first one.
  const second = repo.commit("next", { "notes.txt": "x\n" });
  await writePlan(dir, gatedPlan(second));
  assert.equal((await dev("dev2")).code, 0);

  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, new RegExp(`^  kept dev1 \\(promotion-gate evidence: the newest success of api in dev at revision ${first.slice(0, 12)}\\)$`, "m"));
  assert.match(gc.stdout, new RegExp(`^  kept dev2 \\(promotion-gate evidence: the newest success of api in dev at revision ${second.slice(0, 12)}\\)$`, "m"));
  repo.git("checkout", "-q", "--detach", first);
  await writePlan(dir, gatedPlan(first));
  const promoted = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "prod1"], { cwd: dir });
  assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);

  // Keeping one revision's: the first commit's dev success goes, and the block says gc removed it, not --drop-evidence.
  const one = await runOrun(["gc", "--all", "--evidence-revisions", "1"], { cwd: dir });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^ {2}Removed dev1$/m);
  assert.deepEqual(await executions(dir), ["dev2", "prod1"]);
  const blocked = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "prod2"], { cwd: dir });
  assert.equal(blocked.code, 1, blocked.stdout + blocked.stderr);
  assert.ok(
    blocked.stdout.includes(
      `at revision ${first.slice(0, 12)} (orun gc removed execution dev1, its success at this revision, on ${new Date().toISOString().slice(0, 10)}: it keeps the newest success of api in dev for the 1 newest revision it succeeded at there (gc --evidence-revisions); run them for this commit first`,
    ),
    blocked.stdout,
  );
  assert.doesNotMatch(blocked.stdout, /--drop-evidence/);
});

test("gc --actions prunes only the action cache: records older than --max-age stay; record flags with it are refused", async (t) => {
  const { repo } = gatedRepo(t);
  const dir = repo.dir;
  const cache = path.join(dir, "cache");
  const env = { ORUN_ACTIONS_CACHE: cache };
  const action = "a".repeat(40);
  const version = path.join(cache, "acme/setup", action);
  await mkdir(version, { recursive: true });
  await writeFile(path.join(version, "action.yml"), "x");
  const old = new Date(Date.now() - 30 * 86_400_000);
  await utimes(path.join(version, "action.yml"), old, old);
  await utimes(version, old, old);
  await writePlan(dir, makePlan([{ id: "api@dev.build", steps: [{ run: "echo ok" }] }]));
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "old"], { cwd: dir })).code, 0);
  // Ten days old by its record (gc ages records by their startedAt).
  const metaFile = recordFile(dir, "old", "metadata.json");
  const meta = JSON.parse(await readFile(metaFile, "utf8")) as { startedAt: string };
  meta.startedAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
  await writeFile(metaFile, JSON.stringify(meta));

  const pruned = await runOrun(["gc", "--actions", "--max-age", "7d"], { cwd: dir, env });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, new RegExp(`^  Removed action acme/setup@${action} \\(1 B\\)$`, "m"));
  assert.doesNotMatch(pruned.stdout, /old|execution/);
  assert.equal(existsSync(version), false);
  assert.deepEqual(await executions(dir), ["old"], "the run record stays");

  for (const [args, flag] of [[["--all"], "--all"], [["--keep", "3"], "--keep 3"], [["--drop-evidence"], "--drop-evidence"]] as const) {
    const refused = await runOrun(["gc", "--actions", ...args], { cwd: dir, env });
    assert.equal(refused.code, 1, args.join(" "));
    assert.ok(refused.stderr.includes(`--actions prunes only the action cache, and ${flag} is about execution records: run orun gc ${flag} on its own for them`), refused.stderr);
  }
  assert.deepEqual(await executions(dir), ["old"]);

  const records = await runOrun(["gc", "--max-age", "7d"], { cwd: dir, env });
  assert.equal(records.code, 0, records.stderr);
  assert.match(records.stdout, /^ {2}Removed old$/m);
  assert.deepEqual(await executions(dir), []);
});

test("orun plan stores the plan and an empty .orun/executions/ (spec 10 §3.5); status and gc read it as no runs", async (t) => {
  const dir = tempDir("orun-plan-no-executions-");
  t.after(() => removeDir(dir));
  await copyExample("release-flow", dir);
  const planned = await runOrun(["plan"], { cwd: dir });
  assert.equal(planned.code, 0, planned.stderr);
  assert.ok(existsSync(path.join(dir, ".orun/plans/latest.json")));
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), []);
  const status = await runOrun(["status"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^No runs yet\.$/m);
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.equal(gc.stdout, "Nothing to clean up.\n");
});
