// A component whose working directory (`spec.path`, or a `path` parameter) is no folder of the repository:
// `run --dry-run` noted that the run would fail its jobs, but `validate` said "✓ All validation passed" (camp24
// finding 7). validate warns, once per component and path, where the path is written; exit 0 (the folder may be
// made before the run).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_PROD_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("validate warns about a component's spec.path that does not exist, naming file, line and field and the jobs; an existing one passes quietly", async () => {
  const manifest = "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: svc\n  path: apps/nothere\n  subscribe:\n    environments: [dev, prod]\n";
  const dir = await writeRepo(baseRepo(`${DEV_PROD_API}    path: services/api\ndiscovery:\n  roots: [apps/]\n`, { "apps/web/component.yaml": manifest }));
  await mkdir(path.join(dir, "services/api"), { recursive: true });

  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /✓ All validation passed/);
  assert.equal(
    validate.stderr,
    `⚠ warning: apps/web/component.yaml:7: spec.path: component web: working directory apps/nothere is missing from ${dir}: the run will fail its jobs at their first step (2 jobs: web@dev.deploy, web@prod.deploy)\n`,
  );

  await mkdir(path.join(dir, "apps/nothere"), { recursive: true });
  const quiet = await runOrun(["validate"], { cwd: dir });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
});
