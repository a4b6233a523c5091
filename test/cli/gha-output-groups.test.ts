// With GITHUB_ACTIONS=true (any runner) `orun run` prints each finished step as a `::group::` of its raw output
// between stop-commands markers, a failed one followed by `::error::` (spec 20 §6.6, conformance 9–11); the run's
// header and summary are printed as elsewhere, and --json is unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { MAX_GROUP_OUTPUT, annotationLabel, commandData } from "../../src/runtime/output/github-actions.js";

const GHA = { GITHUB_ACTIONS: "true" };

/** The lines of each `::group::` … `::endgroup::` block of `stdout`, in order. */
function groups(stdout: string): string[][] {
  const found: string[][] = [];
  let open: string[] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("::group::")) {
      assert.equal(open, undefined, `a group opened inside another:\n${stdout}`);
      open = [line];
    } else if (open) {
      open.push(line);
      if (line === "::endgroup::") {
        found.push(open);
        open = undefined;
      }
    }
  }
  assert.equal(open, undefined, `a group never closed:\n${stdout}`);
  return found;
}

/** The stop-commands token a group's output is held under, checked to be resumed once at the group's end. */
function stopToken(group: string[]): string {
  const token = /^::stop-commands::(.+)$/.exec(group[1]!)?.[1];
  assert.ok(token, group.join("\n"));
  assert.equal(group.filter((line) => line === `::${token}::`).length, 1, group.join("\n"));
  return token;
}

test("GHA output: a group per step titled ✓/✕ NN key duration · headline, raw output inside, ::error:: after a failure's ::endgroup::; header and summary as usual", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "compile", run: "echo compiled ok; echo 'Preview URL: https://preview.example.dev'" },
        { id: "test", run: "echo 'first line'; echo 'tests: 3 failed'; exit 3" },
        { id: "publish", run: "echo never" },
      ],
    },
  ]);
  for (const verbose of [[], ["--verbose"]]) {
    const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", `groups${verbose.length}`, ...verbose], { cwd: dir, env: GHA });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = run.stdout;
    assert.match(out, /^\n▲ orun test\n {2}Plan: \w+ {2}· {2}Run: groups\d\n/, out);
    assert.match(out, /\n▶ build\n {2}component {3}api\n {2}env {9}dev\n {2}job {9}build\n {2}job-id {6}api@dev\.build\n {2}runner {6}local\n {2}steps {7}3\n\n─{60}\nsteps\n\n::group::/, out);
    const [compile, failed, ...rest] = groups(out);
    assert.equal(rest.length, 0, out);
    assert.match(compile![0]!, /^::group::✓ {2}01 compile {2}\d+\.\ds {2}· {2}compiled ok$/);
    const token = stopToken(compile!);
    assert.deepEqual(compile!.slice(2), ["compiled ok", "Preview URL: https://preview.example.dev", `::${token}::`, "::endgroup::"]);
    // No result line of the text view besides the group.
    assert.doesNotMatch(out, /✓ build {2}\d|│ compiled ok/, out);
    assert.match(failed![0]!, /^::group::✕ {2}02 test {2}\d+\.\ds {2}· {2}command exited with code 3$/);
    const failedToken = stopToken(failed!);
    assert.deepEqual(failed!.slice(2, 4), ["first line", "tests: 3 failed"]);
    assert.ok(failed!.includes(`  logs:   orun logs --exec-id groups${verbose.length} --job api@dev.build`), failed!.join("\n"));
    assert.match(out, /\n::endgroup::\n::error::build \[api·dev\] › test: command exited with code 3\n/, out);
    assert.equal(out.match(/^::error::/gm)?.length, 1, out);
    // The footer, then the summary.
    assert.match(
      out,
      /\n─{60}\n✕ build failed · \d+\.\ds\n {2}component {3}api\n {2}env {9}dev\n {2}steps {7}1 passed, 1 failed, 1 skipped\n {2}slowest {5}\S+ \d+\.\ds\n {2}failed step test\n {2}logs {8}orun logs --exec-id groups\d --job api@dev\.build\n {2}↗ Preview URL {2}https:\/\/preview\.example\.dev\n/,
      out,
    );
    assert.match(out, /\n✗ Failed in \d+\.\ds\n {2}1 failed\n {2}Preview URL https:\/\/preview\.example\.dev\n\n {2}status {2}orun status --exec-id groups\d\n/, out);
    assert.notEqual(token, failedToken);
  }
});

test("GHA output: a step cannot resume workflow commands inside its group, not even by printing orun-stop-<jobId>; the token is random per group", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "inject", run: `echo '::error::x'; echo "::orun-stop-$ORUN_JOB_ID::"; echo '  ::warning::indented'; echo '##[add-matcher]/tmp/m.json'; echo 'after'` },
        { id: "again", run: "echo '::error::y'" },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "inject"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const [inject, again] = groups(run.stdout);
  const token = stopToken(inject!);
  assert.match(token, /^orun-stop-api@dev\.build-[0-9a-f]{16}$/);
  // The step's lines all come before the group's resume marker, the matcher command dropped.
  assert.deepEqual(inject!.slice(2), ["::error::x", "::orun-stop-api@dev.build::", "  ::warning::indented", "after", `::${token}::`, "::endgroup::"]);
  assert.notEqual(stopToken(again!), token);
  // No ::error:: annotation of orun's: the job succeeded.
  assert.deepEqual(run.stdout.split("\n").filter((line) => /^\s*::error::/.test(line)), ["::error::x", "::error::y"]);
});

test("GHA output: text outside the groups that reads as a workflow command (a link's label in the summary) is printed with commands stopped", async (t) => {
  const dir = await planDir(t, [{ id: "web@dev.build", steps: [{ id: "b", run: "echo '::notice::pwn https://evil.example.dev'" }] }]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "label"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const summary = run.stdout.slice(run.stdout.indexOf("✓ Done in"));
  const match = /\n::stop-commands::(orun-stop-text-[0-9a-f]{16})\n {2}::notice::pwn https:\/\/evil\.example\.dev\n::(orun-stop-text-[0-9a-f]{16})::\n/.exec(summary);
  assert.ok(match, summary);
  assert.equal(match[1], match[2]);
});

test("GHA output: concurrent jobs' groups never interleave while their steps print at the same time", async (t) => {
  // Each step prints, then waits for the other to have printed (a file, polled with a deadline), then prints again:
  // the two steps' output arrives interleaved.
  const step = (me: string, other: string): string =>
    `echo ${me}-1; touch ${me}.1; i=0; while [ ! -f ${other}.1 ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.01; done; ` +
    `echo ${me}-2; touch ${me}.2; i=0; while [ ! -f ${other}.2 ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.01; done; echo ${me}-3`;
  const dir = await planDir(t, [
    { id: "a@dev.one", steps: [{ id: "talk", run: step("a", "b") }, { id: "tail", run: "echo a-tail" }] },
    { id: "b@dev.two", steps: [{ id: "talk", run: step("b", "a") }, { id: "tail", run: "echo b-tail" }] },
  ], { concurrency: 2 });
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "parallel", "--isolation", "none"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const found = groups(run.stdout);
  assert.equal(found.length, 4, run.stdout);
  for (const group of found) {
    const token = stopToken(group);
    const body = group.slice(2, group.indexOf(`::${token}::`));
    const who = body[0]![0];
    if (/ talk /.test(group[0]!)) assert.deepEqual(body, [`${who}-1`, `${who}-2`, `${who}-3`], run.stdout);
    else assert.deepEqual(body, [`${who}-tail`], run.stdout);
  }
  // Each job's header comes before its first group, and each group sits under one job.
  assert.equal(run.stdout.match(/^▶ /gm)?.length, 2, run.stdout);
});

test("GHA output with --concurrency > 1: each group title, job header and footer names its job inline (component·environment/job), as the seed's concurrent output asks", async (t) => {
  // Seed 000 "Concurrent output": under concurrency each result line carries its component and environment prefix
  // inline, replacing the group-header model, whose headers interleave. Two jobs whose first steps each wait for the
  // other's to have started, so the two jobs run at once whatever the timing.
  const step = (me: string, other: string): string =>
    `touch ${me}.started; i=0; while [ ! -f ${other}.started ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.01; done; echo ${me}-says`;
  const dir = await planDir(t, [
    { id: "api@dev.build", steps: [{ id: "first", run: step("api", "web") }, { id: "second", run: "echo api-second" }] },
    { id: "web@prod.deploy", steps: [{ id: "first", run: step("web", "api") }, { id: "second", run: "echo web-second" }] },
  ]);
  // (Sequential runs keep the group-header model: the first test's `▶ build` and `01 compile`.)
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "inline", "--concurrency", "2"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const found = groups(run.stdout);
  assert.equal(found.length, 4, run.stdout);
  for (const group of found) {
    const title = /^::group::✓ {2}(api·dev\/build|web·prod\/deploy) › 0[12] (first|second) {2}\d+\.\ds {2}· {2}(\w+)-/.exec(group[0]!);
    assert.ok(title, `group title without its job inline: ${group[0]}\n${run.stdout}`);
    // The group's output is that job's.
    assert.equal(title[3], title[1]!.slice(0, 3), run.stdout);
  }
  assert.deepEqual(run.stdout.match(/^▶ .*$/gm)?.sort(), ["▶ api·dev/build", "▶ web·prod/deploy"], run.stdout);
  assert.deepEqual(run.stdout.match(/^✓ \S+ completed/gm)?.sort(), ["✓ api·dev/build completed", "✓ web·prod/deploy completed"], run.stdout);
});

test("GHA output: a retried step's group holds every attempt; --json prints its summary unchanged", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.flaky", steps: [{ id: "try", run: "echo attempt; exit 1", retry: 1 }] }]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "retry"], { cwd: dir, env: GHA });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const [group] = groups(run.stdout);
  const token = stopToken(group!);
  assert.deepEqual(group!.slice(2, group!.indexOf(`::${token}::`)), ["attempt", "↻ retry 2/2", "attempt"]);
  const json = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "json", "--json"], { cwd: dir, env: GHA });
  assert.equal(json.code, 1, json.stdout + json.stderr);
  assert.doesNotMatch(json.stdout, /::/);
  assert.equal((JSON.parse(json.stdout) as { status: string }).status, "failed");
});

test("GHA workflow-command data: %, CR and LF escaped (conformance 11); a job named by its checkName", () => {
  assert.equal(commandData("boom\nsecond line\r%danger"), "boom%0Asecond line%0D%25danger");
  // Other hidden characters are shown as orun shows them elsewhere.
  assert.equal(commandData("a\u001b[31mb"), "a\\u{1b}[31mb");
  const job = { id: "api@dev.build", name: "build", component: "api", environment: "dev", steps: [] };
  assert.equal(annotationLabel(job), "build [api·dev]");
  assert.equal(annotationLabel({ ...job, checkName: "API build" }), "API build");
});

test("GHA output: a group title's % is escaped as the runner reads it", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "pct", run: "echo '100% done'" }] }]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "pct"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^::group::✓ {2}01 pct {2}\d+\.\ds {2}· {2}100%25 done$/m, run.stdout);
  assert.match(run.stdout, /^100% done$/m, run.stdout);
});

test("GHA output: a step printing more than the group holds shows its last 4 MiB, saying how much it left out and where it is", async (t) => {
  // 5,000 lines of 1,000 characters and a last line: 5,005,000 characters with their newlines.
  const dir = await planDir(t, [{ id: "api@dev.big", steps: [{ id: "flood", run: "head -c 5000000 /dev/zero | tr '\\0' x | fold -w 1000; echo; echo the-end" }] }]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "big"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stderr);
  const [group] = groups(run.stdout);
  const token = stopToken(group!);
  const body = group!.slice(2, group!.indexOf(`::${token}::`));
  const dropped = 5_005_008 - MAX_GROUP_OUTPUT;
  assert.equal(body[0], `… ${dropped} earlier character(s) not shown here: orun logs --exec-id big --job api@dev.big`);
  assert.equal(body.at(-1), "the-end");
  assert.equal(body.slice(1).join("\n").length + 1, MAX_GROUP_OUTPUT);
});
