// Input errors and the bundled example through the real, built `orun` binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT, runOrun } from "../../support/cli.js";
import { makeRepo, repoS } from "./helpers.js";

test("orun plan reports an input error as `✕ file:line: field: message` and exits 1", async () => {
  const dir = await repoS(`environments:\n  dev:\n    promotion: {dependsOn: [{environment: prod, satisfy: never}]}\n  prod: {}\n`);
  const result = await runOrun(["plan"], { cwd: dir });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /✕ .*intent\.yaml:8: environments\.dev\.promotion\.dependsOn\[0\]\.satisfy: must be one of same-plan, previous-success, same-plan-or-previous-success/);
  const none = await makeRepo({ "README.md": "" });
  const missing = await runOrun(["plan"], { cwd: none });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no intent\.yaml found between/);
});

test("the bundled example runs end to end with the local runner: every job succeeds and leaves real artefacts", async () => {
  const src = path.join(PROJECT_ROOT, "examples/platform");
  const dir = await makeRepo({});
  await fs.cp(src, dir, { recursive: true, filter: (p) => !/[/\\](dist|\.orun)$/.test(p) });
  const result = await runOrun(["run"], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /10 succeeded/);
  for (const env of ["dev", "staging", "production"]) {
    const artefact = await fs.readFile(path.join(dir, "services/api/dist", `api-${env}.txt`), "utf8");
    assert.match(artefact, new RegExp(`^# api \\(package\\) for ${env}\\napi service: GET /health\\n$`));
  }
  // Only the release profile (production) checksums; the recorded digest is the artefact's.
  const sum = await fs.readFile(path.join(dir, "services/api/dist/api-production.sum"), "utf8");
  const digest = createHash("sha256").update(await fs.readFile(path.join(dir, "services/api/dist/api-production.txt"))).digest("hex");
  assert.ok(sum.startsWith(digest) || /^\d+ \d+ /.test(sum), sum);
  await assert.rejects(fs.stat(path.join(dir, "services/api/dist/api-dev.sum")), "verify profile skips the checksum step");
  assert.match(await fs.readFile(path.join(dir, "web/site/dist/index-production.html"), "utf8"), /Example Platform \(production\)/);
  await assert.rejects(fs.stat(path.join(dir, "web/site/dist/index-dev.html")), "site does not subscribe to dev");
  assert.match(await fs.readFile(path.join(dir, "services/worker/dist/worker-staging.txt"), "utf8"), /worker: consumes the jobs queue/);
  const lock = await fs.readFile(path.join(dir, ".orun/compositions.lock.yaml"), "utf8").catch(() => "");
  if (lock) assert.match(lock, /name: example-stack/);
});
