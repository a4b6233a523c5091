// With GITHUB_STEP_SUMMARY set (inside GitHub Actions), `orun run` appends its run summary in markdown to that file
// at run end — jobs, results, durations, a failed job's step and error — and with it what the steps of each job
// wrote to their own GITHUB_STEP_SUMMARY under the github-actions runner, which otherwise never reached GitHub's
// job summary page. It appends (what earlier steps wrote stays), never for a dry run, and a file it cannot write
// is a warning, not a changed result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, removeDir, tempDir } from "../runtime/helpers.js";
import type { RunSummary } from "../../src/runtime/events.js";
import { STEP_SUMMARY_LIMIT, markdownText, runSummaryMarkdown } from "../../src/runtime/output/step-summary.js";

test("step summary: a failed run's markdown (table, failed step and error) is appended after what was in the file", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", name: "build | api", steps: [{ id: "compile", run: 'echo "- compiled" >> "$GITHUB_STEP_SUMMARY"; echo ok' }] },
    { id: "api@dev.test", steps: [{ id: "unit", run: "echo 'Error: 3 tests failed'; exit 3" }], dependsOn: ["api@dev.build"] },
    { id: "api@dev.deploy", steps: [{ id: "ship", run: "echo never" }], dependsOn: ["api@dev.test"] },
  ]);
  const file = path.join(dir, "summary.md");
  await writeFile(file, "# Earlier step\n");
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "sum1"], { cwd: dir, env: { GITHUB_STEP_SUMMARY: file } });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const md = await readFile(file, "utf8");
  // The local runner's step wrote the real file directly; orun's own part comes after it.
  assert.match(md, /^# Earlier step\n- compiled\n\n## orun · test · ❌ failed in \d+\.\ds\n\nExecution `sum1` · plan `\w+` · runner local\n\n/, md);
  assert.match(md, /\n\| Job \| Component \| Environment \| Result \| Duration \|\n\| --- \| --- \| --- \| --- \| --- \|\n/, md);
  assert.match(md, /\n\| build \\\| api \| api \| dev \| ✅ completed \| \d+\.\ds \|\n/, md);
  assert.match(md, /\n\| test \| api \| dev \| ❌ failed \| \d+\.\ds \|\n/, md);
  assert.match(md, /\n\| deploy \| api \| dev \| (⏭️ skipped|⛔ blocked)[^|]* \| {2}\|\n/, md);
  assert.match(md, /\n### ❌ test › step unit\n\n```text\nexit status 3\n```\n\nLogs: `orun logs --exec-id sum1 --job api@dev\.test`\n$/, md);
  assert.equal(md.split("## orun ·").length, 2, "one run summary");
});

test("step summary: what github-actions steps wrote to their own GITHUB_STEP_SUMMARY is forwarded under the job; a dry run appends nothing", async (t) => {
  const dir = await planDir(t, [
    {
      id: "docs@dev.report",
      steps: [
        { id: "first", run: 'echo "### Coverage 93%" >> "$GITHUB_STEP_SUMMARY"' },
        { id: "second", run: 'echo "- lint clean" >> "$GITHUB_STEP_SUMMARY"; echo "$GITHUB_STEP_SUMMARY" > where.txt' },
      ],
    },
  ]);
  const file = path.join(dir, "summary.md");
  await writeFile(file, "");
  const dry = await runOrun(["run", "plan.json", "--runner", "github-actions", "--dry-run"], { cwd: dir, env: { GITHUB_STEP_SUMMARY: file } });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.equal(await readFile(file, "utf8"), "");
  const run = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", "sum2"], { cwd: dir, env: { GITHUB_STEP_SUMMARY: file } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  // The steps had a file of their own, not the outer one.
  assert.notEqual((await readFile(path.join(dir, "where.txt"), "utf8")).trim(), file);
  const md = await readFile(file, "utf8");
  assert.match(md, /^## orun · test · ✅ succeeded in \d+\.\ds\n/, md);
  assert.match(md, /\n\| report \| docs \| dev \| ✅ completed \| \d+\.\ds \|\n/, md);
  assert.match(md, /\n### Job summary · report\n\n### Coverage 93%\n- lint clean\n$/, md);
  assert.doesNotMatch(md, /### ❌/, md);
});

test("step summary: a file orun cannot write is a warning on stderr; the run's result stands", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "ok", run: "true" }] }]);
  const notAFile = path.join(dir, "a-folder");
  await mkdir(notAFile);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "sum3"], { cwd: dir, env: { GITHUB_STEP_SUMMARY: notAFile } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /^warning: cannot append the run summary to GITHUB_STEP_SUMMARY \(.*a-folder\): .*EISDIR/m, run.stderr);
});

test("step summary: names are literal in markdown, and a job summary past GitHub's 1 MiB is named, not copied", async (t) => {
  assert.equal(markdownText("a|b <img> *x*\nnext"), "a\\|b \\<img\\> \\*x\\* next");
  const recordDir = await tempDir("orun-step-summary-");
  t.after(() => removeDir(recordDir));
  const job = (id: string) => ({ id, component: "a", environment: "dev", name: id.split(".")[1]!, status: "completed" as const, durationMs: 5 });
  for (const [id, text] of [["a@dev.big", "x".repeat(STEP_SUMMARY_LIMIT)], ["a@dev.small", "### small\n"]] as const) {
    await mkdir(path.join(recordDir, "logs", id), { recursive: true });
    await writeFile(path.join(recordDir, "logs", id, "~summary.log"), text);
  }
  const md = runSummaryMarkdown({ ...summaryOf(recordDir), jobs: [job("a@dev.big"), job("a@dev.small")] });
  assert.ok(Buffer.byteLength(md) < STEP_SUMMARY_LIMIT, `${Buffer.byteLength(md)}`);
  assert.match(md, /\n### Job summary · big\n\nNot copied here: 1024 KiB would pass GitHub's 1 MiB step summary limit \(`orun logs --exec-id e1 --job a@dev\.big` shows it\)\.\n/, md.slice(0, 2000));
  assert.match(md, /\n### Job summary · small\n\n### small\n$/);
  // An error holding a code fence cannot close the block it is shown in.
  const failed = runSummaryMarkdown({ ...summaryOf(recordDir), status: "failed", jobs: [{ ...job("a@dev.x"), status: "failed", failedStep: "s", error: "step s: bad ``` end" }] });
  assert.match(failed, /\n````text\nbad ``` end\n````\n/, failed);
});

function summaryOf(recordDir: string): RunSummary {
  return {
    execId: "e1",
    planId: "p1",
    planName: "plan",
    runner: "github-actions",
    status: "completed",
    dryRun: false,
    startedAt: "",
    durationMs: 1200,
    concurrency: 1,
    counts: { total: 2, succeeded: 2, failed: 0, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 },
    jobs: [],
    recordDir,
  };
}
