// `orun plan` output: a name that is not stored (-o FILE, -o -) is not shown
// in the summary, where it read as stored next to the warning saying it is not;
// a plan printed on stdout ends with a newline (a plan file's bytes do not,
// spec 12 §4.4).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, THREE_ENVS, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `${THREE_ENVS}components:\n  - name: api\n    type: svc\n`;

test("--name with -o FILE or -o -: the warning says it is not stored and the summary does not show it", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  const file = await runOrun(["plan", "-o", "out.json", "--name", "zz"], { cwd: dir });
  assert.equal(file.code, 0, file.stderr);
  assert.equal(file.stderr, "⚠ warning: --name zz is not stored with -o (only out.json is written); run it with: orun run out.json\n");
  assert.doesNotMatch(file.stdout, /zz/);
  assert.match(file.stdout, /│ plan: [0-9a-f]{12}\n {2}│ file: out\.json\n/);
  const stdout = await runOrun(["plan", "-o", "-", "--name", "zz"], { cwd: dir });
  assert.equal(stdout.code, 0, stdout.stderr);
  assert.match(stdout.stderr, /^⚠ warning: --name zz is not stored with -o - \(the plan went to stdout only\)\n/);
  assert.doesNotMatch(stdout.stderr.split("\n").slice(1).join("\n"), /zz/);
  // Stored, the name is shown and offered.
  const stored = await runOrun(["plan", "--name", "zz"], { cwd: dir });
  assert.equal(stored.code, 0, stored.stderr);
  assert.match(stored.stdout, /│ name: zz\n/);
  assert.match(stored.stdout, /→ orun run zz\n/);
});

test("-o - ends the plan with a newline, JSON and YAML; a plan file keeps its exact bytes", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  const json = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  assert.ok(json.stdout.endsWith("}\n") && !json.stdout.endsWith("\n\n"), JSON.stringify(json.stdout.slice(-5)));
  const yaml = await runOrun(["plan", "-o", "-", "-f", "yaml"], { cwd: dir });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.ok(yaml.stdout.endsWith("\n") && !yaml.stdout.endsWith("\n\n"), JSON.stringify(yaml.stdout.slice(-5)));
  const file = await runOrun(["plan", "-o", "plan.json"], { cwd: dir });
  assert.equal(file.code, 0, file.stderr);
  const bytes = await fs.readFile(path.join(dir, "plan.json"), "utf8");
  assert.ok(bytes.endsWith("}"), "no trailing newline in the file (spec 12 §4.4)");
  assert.equal(json.stdout.replace(/"generatedAt": "[^"]*"/, ""), `${bytes}\n`.replace(/"generatedAt": "[^"]*"/, ""));
});
