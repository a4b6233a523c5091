// Review rev28c F1: status --all's manifest cache (gc28, ManifestsRead keyed by each manifest's text) keeps every
// distinct manifest — its text and its parse — until the whole list is printed. Records of different plans (the usual
// case: the plan changes from commit to commit) then hold them all at once, undoing run28's flat memory. Real records
// of a 2,000-job plan, the built CLI, a heap small enough for one record at a time but not for 200 manifests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import path from "node:path";

const JOBS = Array.from({ length: 2000 }, (_, i) => ({ id: `c${i}@dev.job${i}`, steps: [{ run: "true" }, { run: "true" }] }));
const RECORDS = 200;
// status --all over these records without the cache peaks under 80 MB of heap (measured: 60 MB suffices).
const SMALL_HEAP = { NODE_OPTIONS: "--max-old-space-size=100" };

test("status --all of 200 records of different 2,000-job plans runs in a heap that holds a few records at once", { timeout: 300_000 }, async (t) => {
  const dir = await planDir(t, JOBS, { name: "big" }, "orun-rev28c-");
  const seed = await runOrun(["run", "plan.json", "--exec-id", "seed"], { cwd: dir, timeoutMs: 240_000 });
  assert.equal(seed.code, 0, seed.stdout + seed.stderr);
  const manifest = JSON.parse(await readFile(recordFile(dir, "seed", "manifest.json"), "utf8")) as { metadata: { name: string } };
  const metadata = JSON.parse(await readFile(recordFile(dir, "seed", "metadata.json"), "utf8")) as { execId: string };
  for (let i = 0; i < RECORDS; i++) {
    const execId = `r${i}`;
    await mkdir(path.dirname(recordFile(dir, execId, "state.json")), { recursive: true });
    await copyFile(recordFile(dir, "seed", "state.json"), recordFile(dir, execId, "state.json"));
    await writeFile(recordFile(dir, execId, "metadata.json"), JSON.stringify({ ...metadata, execId }));
    // Another plan's manifest: a text of its own.
    await writeFile(recordFile(dir, execId, "manifest.json"), JSON.stringify({ ...manifest, metadata: { ...manifest.metadata, name: `big-${i}` } }));
  }
  // (--json prints every record's jobs, so it holds them all by design: only the table is checked.)
  const listed = await runOrun(["status", "--all"], { cwd: dir, env: SMALL_HEAP, timeoutMs: 240_000 });
  assert.equal(listed.code, 0, `status --all: exit ${listed.code}\n${listed.stderr.slice(0, 2000)}`);
  assert.ok(listed.stdout.includes("r199"), listed.stdout.slice(0, 500));
});
