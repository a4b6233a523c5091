// Input defects an audit of `orun plan` found, each pinned through the built
// CLI with real files in a temp dir.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

describe("map keys that collide once read", () => {
  test("labels {1: a, \"1\": b} is a duplicate-key error at its line, not a plan with one label silently dropped", async () => {
    const dir = await writeRepo(
      baseRepo(`environments:
  dev: { selectors: { components: ["*"] } }
components:
  - name: a
    type: svc
    labels: { 1: first, "1": second }
`),
    );
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, '✕ intent.yaml:15:25: invalid YAML: duplicate key: "1"\n');
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans", "latest.json")), "no plan was stored");
  });
});
