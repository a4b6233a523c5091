// Every ORUN_* environment variable the source reads or sets is documented:
// docs/cli.md's table (or, for what steps see, its "Steps see" line and
// docs/running.md). A variable added to src/ without a word in the docs fails
// here, naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "./support/cli.js";

/**
 * Set by `orun run --background` for its own child only (never by a user): not documented on purpose. The second is
 * the pipe the child reports its start on, so that `--background --json` can print a refusal.
 */
const INTERNAL = new Set(["ORUN_BACKGROUND_CHILD", "ORUN_BACKGROUND_STARTUP_FD", "ORUN_BACKGROUND_GENERATED_ID"]);

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith(".ts")) out.push(full);
  }
  return out;
}

test("every ORUN_* variable in src/ is documented in README.md or docs/", async () => {
  const names = new Set<string>();
  for (const file of await sourceFiles(path.join(PROJECT_ROOT, "src"))) {
    // Whole names only: `ORUN_SECRET_` + name and similar prefixes are documented as patterns.
    for (const m of (await readFile(file, "utf8")).matchAll(/\bORUN_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) names.add(m[0]);
  }
  assert.ok(names.has("ORUN_RUNNER") && names.has("ORUN_EXEC_ID") && names.size > 20, `found ${names.size} names`);
  const docs = [await readFile(path.join(PROJECT_ROOT, "README.md"), "utf8")];
  for (const page of await readdir(path.join(PROJECT_ROOT, "docs"))) {
    if (page.endsWith(".md")) docs.push(await readFile(path.join(PROJECT_ROOT, "docs", page), "utf8"));
  }
  const documented = docs.join("\n");
  const missing = [...names].filter((name) => !INTERNAL.has(name) && !new RegExp(`\\b${name}\\b`).test(documented)).sort();
  assert.deepEqual(missing, [], "ORUN_* variables the docs never mention");
});
