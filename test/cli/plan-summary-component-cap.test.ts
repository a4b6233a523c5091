// Spec 12 §5.2: the `orun plan` summary lists at most 4 component names (sorted), then ` (+N more)`. The v2.3
// examples (15 components, 5 environments, 38 jobs; spec 10 §5 case 1), read in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";

test("plan summary: 15 components × 5 envs → 38 jobs, the first 4 names sorted, then (+11 more)", async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), "orun-summary-cap-"));
  t.after(() => rm(out, { recursive: true, force: true }));
  const r = await runOrun(["plan", "-o", path.join(out, "plan.json")], { cwd: FIXTURES_DIR });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "",
    "  │ 15 components × 5 envs → 38 jobs",
    "  │ components: admin-console-pages-git, api-edge-worker, cluster-addons, commerce-checkout-chart (+11 more)",
  ]);
  assert.match(lines[3]!, /^ {2}│ plan: [0-9a-f]{12}$/);
});
