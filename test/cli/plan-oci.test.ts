// `orun plan` and `orun run` with a composition package pulled from an OCI registry
// (a faithful local registry: test/support/oci-registry.ts), through the built CLI.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { startFakeRegistry, type FakeRegistry } from "../support/oci-registry.js";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, writeRepo } from "../planner/support.js";
import { rawTarGz } from "../planner/load/tar-writer.js";

const PACKAGE = rawTarGz([
  { name: "stack.yaml", content: "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: remote-stack, version: 1.0.0}\n" },
  {
    name: "svc/compositions.yaml",
    content: `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps: [{name: say, run: "echo deployed {{.orun.component.name}} to {{.orun.environment.name}} > deployed-{{.orun.environment.name}}.txt"}]
`,
  },
]);

let registry: FakeRegistry;
let digest: string;
before(async () => {
  registry = await startFakeRegistry();
  digest = registry.push("platform/stack", "v1", [{ mediaType: "application/vnd.orun.stack.compositions.layer.v1+tar+gzip", bytes: PACKAGE }]);
});
after(async () => {
  await registry.close();
  await cleanupRepos();
});

test("a plan compiled from an oci source records its ref and manifest digest (plan and lock file) and runs", async () => {
  const ref = `${registry.host}/platform/stack:v1`;
  const dir = await writeRepo({
    ".git/HEAD": "ref: refs/heads/main\n",
    "intent.yaml": `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: oci-demo}
compositions:
  sources: [{name: platform, kind: oci, ref: "${ref}"}]
environments:
  dev: {selectors: {components: ["*"]}}
components:
  - {name: api, type: svc}
`,
  });
  const planned = await runOrun(["plan"], { cwd: dir });
  assert.equal(planned.code, 0, planned.stderr);
  const plan = JSON.parse(await fs.readFile(path.join(dir, ".orun", "plans", "latest.json"), "utf8")) as Plan;
  assert.deepEqual(plan.spec.compositionSources, [{ name: "platform", kind: "oci", ref, resolvedDigest: digest, exports: ["svc"] }]);
  const lock = await fs.readFile(path.join(dir, ".orun", "compositions.lock.yaml"), "utf8");
  assert.match(lock, /kind: oci/);
  assert.ok(lock.includes(`resolvedDigest: ${digest}`), lock);
  const ran = await runOrun(["run", "latest", "--runner", "local"], { cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(await fs.readFile(path.join(dir, "deployed-dev.txt"), "utf8"), "deployed api to dev\n");
});
