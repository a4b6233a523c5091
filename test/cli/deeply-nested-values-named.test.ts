// Values nested thousands deep: a plan file made `orun run` fail with "✕ Maximum call stack size exceeded"
// (checking its checksum recursed into them), naming no file; in intent.yaml the parser's own words came out
// ("invalid YAML: Maximum call stack size exceeded"). Both now say what is wrong and where.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

test("a plan file with values nested 5,000 deep is refused by run and get jobs naming the file and the job", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }, { id: "web@dev.build", steps: [{ run: "echo built" }] }]);
  const plan = JSON.parse(await readFile(path.join(dir, "plan.json"), "utf8")) as { metadata: { checksum?: string }; jobs: Record<string, unknown>[] };
  delete plan.metadata.checksum;
  const text = JSON.stringify(plan).replace('"id":"web@dev.build"', `"parameters":{"x":${"[".repeat(5000)}${"]".repeat(5000)}},"id":"web@dev.build"`);
  await writeFile(path.join(dir, "deep.json"), text);
  for (const args of [["run", "deep.json"], ["get", "jobs", "--plan", "deep.json"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
    assert.equal(result.stderr, `✕ ${path.join(dir, "deep.json")} (jobs[1]): invalid plan: values nested more than 1000 levels deep\n`, args.join(" "));
  }
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), [], "no record made");
  // 900 levels are a plan like any other.
  await writeFile(path.join(dir, "ok.json"), JSON.stringify(plan).replace('"id":"web@dev.build"', `"parameters":{"x":${"[".repeat(900)}${"]".repeat(900)}},"id":"web@dev.build"`));
  const ok = await runOrun(["run", "ok.json"], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
});

test("intent.yaml with values nested too deeply for the parser names the file, line and column in plain words", async (t) => {
  t.after(cleanupRepos);
  const repo = await writeRepo(baseRepo(`environments:\n  dev:\n    selectors:\n      components: ["*"]\ncomponents:\n  - {name: api, type: svc}\nenv:\n  DEEP: ${"[".repeat(3000)}${"]".repeat(3000)}\n`));
  const result = await runOrun(["validate"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /^✕ intent\.yaml:\d+:\d+: invalid YAML: values nested too deeply \(lists or mappings inside each other, about a thousand levels\)\n$/m);
  assert.doesNotMatch(result.stderr, /call stack/);
});
