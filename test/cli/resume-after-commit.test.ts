// The built CLI in a real git repository: a plan's checksum covers its revision (the commit), so committing a fix
// after a failure gives `orun run --exec-id X` a fresh plan that is not the one X ran. When the two differ only in
// that revision, X resumes the plan it recorded (as `orun run <manifest> --exec-id X` would), saying so in one line;
// any other difference is still refused, and the record left as it was (src/runtime/resume-plan.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { readJson, readLines, recordFile, removeDir, tempDir, type StateFile } from "../runtime/helpers.js";
import { STACK, svcComposition } from "../planner/support.js";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: resume
compositions:
  sources:
    - name: local
      kind: dir
      path: ./comps
environments:
  dev:
    selectors: { components: ["*"] }
components:
  - name: api
    type: svc
  - name: web
    type: svc
`;

/** Each job notes that it ran (in an untracked file: the tree stays clean), then runs its component's script. */
const composition = (command: string): string =>
  svcComposition(`        - name: check
          run: "echo ran >> {{.orun.component.name}}.runs; ${command} {{.orun.component.name}}.sh"
`);

async function repo(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; git: (...args: string[]) => string }> {
  const dir = await tempDir("orun-resume-commit-");
  t.after(() => removeDir(dir));
  await mkdir(path.join(dir, "comps/svc"), { recursive: true });
  await writeFile(path.join(dir, "intent.yaml"), INTENT);
  await writeFile(path.join(dir, "comps/stack.yaml"), STACK);
  await writeFile(path.join(dir, "comps/svc/compositions.yaml"), composition("sh"));
  await writeFile(path.join(dir, "api.sh"), "exit 0\n");
  await writeFile(path.join(dir, "web.sh"), "echo broken; exit 1\n");
  await writeFile(path.join(dir, ".gitignore"), ".orun/\n*.runs\n");
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "one");
  return { dir, git };
}

const runs = async (dir: string, component: string): Promise<number> => (await readLines(path.join(dir, `${component}.runs`))).length;

test("a fix committed after a failure: orun run --exec-id resumes the execution's recorded plan with a one-line notice", async (t) => {
  const { dir, git } = await repo(t);
  const first = await runOrun(["run", "--exec-id", "e1"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const before = await readJson<StateFile>(recordFile(dir, "e1", "state.json"));
  assert.equal(before.jobs["web@dev.deploy"]?.status, "failed");
  assert.equal(before.jobs["api@dev.deploy"]?.status, "completed");
  const firstMeta = await readJson<{ planId: string; revision?: string }>(recordFile(dir, "e1", "metadata.json"));
  const started = git("rev-parse", "HEAD");
  assert.equal(firstMeta.revision, started);

  await writeFile(path.join(dir, "web.sh"), "exit 0\n");
  git("commit", "-qam", "fix web");
  const resumed = await runOrun(["run", "--exec-id", "e1"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const notices = resumed.stderr.split("\n").filter((line) => line.startsWith("notice:"));
  assert.equal(notices.length, 1, resumed.stderr);
  assert.match(
    notices[0]!,
    new RegExp(`^notice: execution e1 resumes the plan it recorded \\(${firstMeta.planId}\\): this tree's plan [0-9a-f]{12} differs from it only in metadata\\.revision \\(${git("rev-parse", "HEAD").slice(0, 12)}, recorded ${started.slice(0, 12)}\\)$`),
  );
  assert.doesNotMatch(resumed.stderr, /belongs to plan/);
  // The same outcome as the hinted `orun run <manifest> --exec-id e1`: completed jobs are not run again, the plan
  // and checksum stay the record's, and no promotion evidence is recorded for a commit the tree is not.
  assert.equal(await runs(dir, "api"), 1, "the completed job is not run again");
  assert.equal(await runs(dir, "web"), 2, "the failed job runs again, fixed");
  const after = await readJson<StateFile>(recordFile(dir, "e1", "state.json"));
  assert.equal(after.planChecksum, before.planChecksum);
  assert.equal(after.jobs["web@dev.deploy"]?.status, "completed");
  const meta = await readJson<{ status: string; planId: string; revision?: string }>(recordFile(dir, "e1", "metadata.json"));
  assert.equal(meta.status, "completed");
  assert.equal(meta.planId, firstMeta.planId);
  assert.equal(meta.revision, undefined);
  assert.match(resumed.stderr, /records no promotion evidence for/);
});

test("an uncommitted fix resumes too; a plan that differs in more than its revision is still refused, the record untouched", async (t) => {
  const { dir, git } = await repo(t);
  const first = await runOrun(["run", "--exec-id", "e2"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const planId = (await readJson<{ planId: string }>(recordFile(dir, "e2", "metadata.json"))).planId;

  // Edited, not committed: the fresh plan records no revision at all.
  await writeFile(path.join(dir, "web.sh"), "echo still broken; exit 1\n");
  const dirty = await runOrun(["run", "--exec-id", "e2"], { cwd: dir });
  assert.equal(dirty.code, 1, dirty.stdout + dirty.stderr);
  assert.match(dirty.stderr, new RegExp(`notice: execution e2 resumes the plan it recorded \\(${planId}\\): .* only in metadata\\.revision \\(none, recorded ${git("rev-parse", "HEAD").slice(0, 12)}\\)`));
  assert.equal(await runs(dir, "web"), 2, "resumed: the failed job ran again");
  git("commit", "-qam", "still broken");

  // The job's command changed: another plan, whatever the revision.
  await writeFile(path.join(dir, "comps/svc/compositions.yaml"), composition("sh -x"));
  git("commit", "-qam", "trace");
  const stateBefore = await readFile(recordFile(dir, "e2", "state.json"), "utf8");
  const metaBefore = await readFile(recordFile(dir, "e2", "metadata.json"), "utf8");
  const refused = await runOrun(["run", "--exec-id", "e2"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.doesNotMatch(refused.stderr, /notice:/);
  assert.match(
    refused.stderr,
    new RegExp(`✕ .*state\\.json \\(planChecksum\\): execution e2 belongs to plan ${planId}, not [0-9a-f]{12} \\(resume\\); resume it with the plan it was started with \\(orun run /\\S*/\\.orun/executions/e2/manifest\\.json --exec-id e2\\), or use a new --exec-id`),
  );
  assert.equal(await runs(dir, "web"), 2, "nothing ran");
  assert.equal(await readFile(recordFile(dir, "e2", "state.json"), "utf8"), stateBefore);
  assert.equal(await readFile(recordFile(dir, "e2", "metadata.json"), "utf8"), metaBefore);
});
