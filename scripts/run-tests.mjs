#!/usr/bin/env node
// Runs the compiled test suite with node's test runner and ends with one
// "N passed, N failed" line that CI reads. Extra arguments narrow the run
// to given files or folders under dist/test. Failures are repeated just
// above that line, because a CI log is often read from its tail only.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const targets = process.argv.slice(2);
const args = ["--test", "--test-reporter=tap", `--test-concurrency=${process.env.ORUN_TEST_CONCURRENCY ?? "2"}`];
args.push(...(targets.length ? targets : ["dist/test/"]));
if (!existsSync("dist/test")) {
  console.error("dist/test is missing: run `npm run build` first");
  process.exit(2);
}

const MAX_BLOCK_LINES = 24;
const failures = [];
let open; // the failure whose YAML block is being read
let partial = "";
let tail = "";

function readLine(line) {
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
}

const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  const text = chunk.toString();
  tail = (tail + text).slice(-4000);
  const lines = (partial + text).split("\n");
  partial = lines.pop() ?? "";
  for (const line of lines) readLine(line);
});
child.on("close", (code) => {
  if (partial) readLine(partial);
  const count = (name) => Number(new RegExp(`# ${name} (\\d+)`).exec(tail)?.[1] ?? 0);
  const [pass, fail, skipped, cancelled] = ["pass", "fail", "skipped", "cancelled"].map(count);
  if (failures.length) {
    console.log(`\nFailed tests (${failures.length}):`);
    for (const f of failures) {
      console.log(`\nnot ok - ${f.name}`);
      for (const line of f.lines) console.log(`  ${line.slice(f.indent.length)}`);
    }
  }
  const extra = [skipped ? `${skipped} skipped` : "", cancelled ? `${cancelled} cancelled` : ""].filter(Boolean);
  console.log(`\n${pass} passed, ${fail} failed${extra.length ? `, ${extra.join(", ")}` : ""}`);
  process.exit(code ?? 1);
});
