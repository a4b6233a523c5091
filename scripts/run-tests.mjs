#!/usr/bin/env node
// Runs the compiled test suite with node's test runner and ends with one
// "N passed, N failed" line that CI reads. Extra arguments narrow the run
// to given files or folders under dist/test.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const targets = process.argv.slice(2);
const args = ["--test", "--test-reporter=tap", `--test-concurrency=${process.env.ORUN_TEST_CONCURRENCY ?? "2"}`];
args.push(...(targets.length ? targets : ["dist/test/"]));
if (!existsSync("dist/test")) {
  console.error("dist/test is missing: run `npm run build` first");
  process.exit(2);
}
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on("close", (code) => {
  const pass = Number(/# pass (\d+)/.exec(tail)?.[1] ?? 0);
  const fail = Number(/# fail (\d+)/.exec(tail)?.[1] ?? 0);
  const skipped = Number(/# skipped (\d+)/.exec(tail)?.[1] ?? 0);
  console.log(`\n${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(code ?? 1);
});
