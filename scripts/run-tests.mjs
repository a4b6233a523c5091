#!/usr/bin/env node
// Runs the compiled test suite with node's test runner and ends with one
// "N passed, N failed" line that CI reads. Extra arguments narrow the run
// to given files or folders under dist/test.
//
// Two phases: every file at --test-concurrency (2 by default), then the files
// marked `// orun-test: run alone` one at a time. Those start dozens of
// processes; beside them, other files' timing would measure this machine's
// load, not orun. Failures are repeated just above the closing line, because
// a CI log is often read from its tail only.
//
// The tests run without the CI's own variables (GITHUB_*, RUNNER_*, ACTIONS_*,
// CI): inside GitHub Actions they would switch every orun the tests start to
// the github-actions runner and the ::group:: presenter. A test that wants
// them sets them itself. test/support/cli.ts drops the same set.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ALONE_MARKER = "// orun-test: run alone";
// The same filter as test/support/cli.ts (envWithoutCi), which tests run outside this script rely on: keep both in step.
const CI_VARIABLE = /^(?:CI|(?:GITHUB|RUNNER|ACTIONS)_.*)$/;
const MAX_BLOCK_LINES = 24;

if (!existsSync("dist/test")) {
  console.error("dist/test is missing: run `npm run build` first");
  process.exit(2);
}

function testFiles(target) {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { recursive: true })
    .map((name) => path.join(target, String(name)))
    .filter((file) => file.endsWith(".test.js"))
    .sort();
}

function runsAlone(file) {
  return readFileSync(file, "utf8").slice(0, 4096).includes(ALONE_MARKER);
}

const targets = process.argv.slice(2);
const files = [...new Set((targets.length ? targets : ["dist/test/"]).flatMap(testFiles))];
const alone = files.filter(runsAlone);
const together = files.filter((file) => !alone.includes(file));

const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
const failures = [];

/** One `node --test` over `phaseFiles`; resolves to its exit code after counting what it printed. */
function runPhase(phaseFiles, concurrency) {
  const args = ["--test", "--test-reporter=tap", `--test-concurrency=${concurrency}`, ...phaseFiles];
  let open; // the failure whose YAML block is being read
  let partial = "";
  let tail = "";
  const readLine = (line) => {
    if (open) {
      if (line.trimEnd() === `${open.indent}  ...`) {
        // A parent that failed only because a subtest did adds nothing.
        if (!open.lines.some((l) => l.includes("failureType: 'subtestsFailed'"))) failures.push(open);
        open = undefined;
      } else if (open.lines.length < MAX_BLOCK_LINES) {
        open.lines.push(line);
      }
      return;
    }
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(line);
    if (m) open = { indent: m[1], name: m[2], lines: [] };
  };
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CI_VARIABLE.test(name)));
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) readLine(line);
    });
    child.on("close", (code, signal) => {
      if (partial) readLine(partial);
      for (const key of Object.keys(totals)) totals[key] += Number(new RegExp(`# ${key} (\\d+)`).exec(tail)?.[1] ?? 0);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const concurrency = process.env.ORUN_TEST_CONCURRENCY ?? "2";
let code = 0;
if (together.length) code = await runPhase(together, concurrency);
if (alone.length) {
  console.log(`# ${alone.length} file(s) that run alone: ${alone.join(", ")}`);
  code = (await runPhase(alone, 1)) || code;
}

if (failures.length) {
  console.log(`\nFailed tests (${failures.length}):`);
  for (const f of failures) {
    console.log(`\nnot ok - ${f.name}`);
    for (const line of f.lines) console.log(line.slice(f.indent.length));
  }
}
const extra = [totals.skipped ? `${totals.skipped} skipped` : "", totals.cancelled ? `${totals.cancelled} cancelled` : ""].filter(Boolean);
console.log(`\n${totals.pass} passed, ${totals.fail} failed${extra.length ? `, ${extra.join(", ")}` : ""}`);
process.exit(code);
