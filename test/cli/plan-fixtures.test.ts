// `orun plan` on the real v2.3 example repositories (read in place; plans go
// to a temp file with -o so the shared fixtures are never written). Expected
// values were worked out by hand from the fixtures' intent, component and
// composition files (and agree with spec 10-planner §5 case 1, 3, 4 and 7).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { computePlanChecksum, jobUid } from "../../src/plan/checksum.js";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";
import { edges, job, jobIds } from "../planner/support.js";

const skip = existsSync(FIXTURES_DIR) ? false : "shared fixtures are absent";
const MATRIX_DIR = path.join(FIXTURES_DIR, "remote-state-matrix");
let tmp = "";

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-fixture-plans-"));
});
after(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

async function plan(cwd: string, args: string[] = []): Promise<{ plan: Plan; stdout: string; text: string }> {
  const out = path.join(tmp, `plan-${Math.random().toString(36).slice(2)}.json`);
  const result = await runOrun(["plan", "-o", out, ...args], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const text = await fs.readFile(out, "utf8");
  return { plan: JSON.parse(text) as Plan, stdout: result.stdout, text };
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(p);
    else await fs.chmod(p, 0o644);
  }
}

function assertTopological(p: Plan): void {
  const position = new Map(p.jobs.map((j, i) => [j.id, i]));
  for (const j of p.jobs) for (const d of j.dependsOn ?? []) assert.ok(position.get(d)! < position.get(j.id)!, `${d} must come before ${j.id}`);
}

const ALL_EXAMPLE_JOBS = [
  "admin-console-pages-git@production.verify-reconcile",
  "admin-console-pages-git@staging.verify-reconcile",
  "api-edge-worker@dev.verify-deploy",
  "api-edge-worker@production.verify-deploy",
  "api-edge-worker@staging.verify-deploy",
  "cluster-addons@development.validate",
  "cluster-addons@production.validate",
  "cluster-addons@staging.validate",
  "commerce-checkout-chart@development.render",
  "commerce-checkout-chart@production.render",
  "commerce-checkout-values@development.render",
  "commerce-checkout-values@production.render",
  "docs-site-direct-upload@production.verify-deploy",
  "docs-site-git-source@production.verify-reconcile",
  "identity-portal-chart@development.render",
  "identity-portal-chart@staging.render",
  "identity-portal-values@development.render",
  "identity-portal-values@staging.render",
  "identity-worker@dev.verify-deploy",
  "identity-worker@production.verify-deploy",
  "identity-worker@staging.verify-deploy",
  "network-foundation@development.validate",
  "network-foundation@production.validate",
  "network-foundation@staging.validate",
  "platform-sdk@dev.verify",
  "platform-sdk@development.verify",
  "platform-sdk@production.verify",
  "platform-sdk@staging.verify",
  "platform-shared@dev.verify",
  "platform-shared@development.verify",
  "platform-shared@production.verify",
  "platform-shared@staging.verify",
  "projects-worker@dev.verify-deploy",
  "projects-worker@production.verify-deploy",
  "projects-worker@staging.verify-deploy",
  "web-console-pages@preview.verify-deploy",
  "web-console-pages@production.verify-deploy",
  "web-console-pages@staging.verify-deploy",
];

describe("multi-environment platform example (orun-v2.3-examples)", { skip }, () => {
  let full: { plan: Plan; stdout: string; text: string };
  before(async () => {
    full = await plan(FIXTURES_DIR);
  });

  test("compiles 15 components × 5 environments into 38 jobs", () => {
    assert.match(full.stdout, /│ 15 components × 5 envs → 38 jobs\n/);
    assert.match(full.stdout, /│ components: admin-console-pages-git, api-edge-worker, cluster-addons, commerce-checkout-chart \(\+11 more\)\n/);
    assert.deepEqual(jobIds(full.plan), ALL_EXAMPLE_JOBS);
    assert.equal(full.plan.metadata.name, "multi-environment-platform");
    assert.equal(full.plan.metadata.namespace, "default");
    assert.equal(full.plan.metadata.workDir, ".");
    assert.deepEqual(full.plan.execution, { concurrency: 4, failFast: true });
  });

  test("component dependencies become exactly these edges, in topological order", () => {
    const expected: string[] = [];
    for (const env of ["development", "staging", "production"]) expected.push(`cluster-addons@${env}.validate -> network-foundation@${env}.validate`);
    for (const env of ["development", "staging"]) {
      expected.push(`identity-portal-values@${env}.render -> network-foundation@${env}.validate`);
      expected.push(`identity-portal-chart@${env}.render -> identity-portal-values@${env}.render`);
    }
    for (const env of ["development", "production"]) {
      expected.push(`commerce-checkout-values@${env}.render -> cluster-addons@${env}.validate`);
      expected.push(`commerce-checkout-chart@${env}.render -> commerce-checkout-values@${env}.render`);
    }
    assert.deepEqual(edges(full.plan), expected.sort());
    assertTopological(full.plan);
    // no promotion is declared, so no job is gated
    assert.ok(full.plan.jobs.every((j) => j.gates === undefined));
  });

  test("jobBindings and the composition source record", () => {
    const bindings = full.plan.spec.jobBindings!;
    assert.deepEqual(Object.keys(bindings), [
      "cloudflare-pages",
      "cloudflare-pages-terraform",
      "cloudflare-pages-turbo",
      "cloudflare-pages-turbo-terraform",
      "cloudflare-worker",
      "cloudflare-worker-turbo",
      "helm-chart",
      "helm-values",
      "terraform",
      "turbo-package",
      "workspace",
    ]);
    assert.ok(Object.values(bindings).every((v) => v === "sumo-ops-orun-platform-stack"));
    const source = full.plan.spec.compositionSources![0]!;
    assert.equal(source.name, "example-platform");
    assert.equal(source.kind, "dir");
    assert.equal(source.path, "./compositions");
    assert.equal(source.resolvedDigest, "sha256:c41fc0830d07cccd8a5660968c2a774f31c9e2fe9ab9a468a78dea3acb05b4e8");
    assert.equal(source.exports?.length, 11);
  });

  test("profiles, rendered commands, parameters, labels and policies of network-foundation", () => {
    const dev = job(full.plan, "network-foundation@development.validate");
    assert.equal(dev.profile, "terraform.pull-request");
    assert.equal(dev.profileSource, "subscription");
    assert.equal(dev.path, "infra/infra-1");
    assert.equal(dev.runsOn, "ubuntu-22.04");
    assert.equal(dev.timeout, "20m");
    assert.equal(dev.jobRegistry, "sumo-ops-orun-platform-stack");
    assert.deepEqual(
      dev.steps.map((s) => [s.id, s.run ?? s.use]),
      [
        ["setup", "hashicorp/setup-terraform@v4"],
        ["context", 'terraform version\necho "Validating network-foundation at ."\n'],
        ["fmt", "terraform fmt -check ."],
        ["init", "terraform -chdir=. init -backend=false -input=false"],
        ["validate", "terraform -chdir=. validate -no-color"],
        // the pull-request profile's stepOverrides replace the plan command
        ["plan", "terraform -chdir=. plan -no-color -lock=false"],
      ],
    );
    assert.deepEqual(dev.steps[0]!.with, { terraform_version: "1.9.8", terraform_wrapper: "false" });
    assert.deepEqual(dev.parameters, { lane: "dry-run", namespacePrefix: "dev-", stackName: "network-foundation", terraformDir: ".", terraformVersion: "1.9.8" });
    assert.deepEqual(dev.labels, { layer: "foundation", stack: "network", team: "platform" });
    assert.deepEqual(dev.policies, { requireApproval: "false" });

    const prod = job(full.plan, "network-foundation@production.validate");
    assert.equal(prod.profile, "terraform.release");
    assert.equal(prod.steps.at(-1)!.run, "terraform -chdir=. plan -no-color");
    assert.equal(prod.parameters!.namespacePrefix, "prod-");
    // environment policy, then the release profile's policies
    assert.deepEqual(prod.policies, { requireApproval: "true", requireCleanGitTree: "true", requirePinnedTerraformVersion: "true" });

    const docs = job(full.plan, "docs-site-git-source@production.verify-reconcile");
    assert.equal(docs.profile, "cloudflare-pages-terraform.verify");
    assert.equal(docs.profileSource, "composition-default");
  });

  test("step counts per profile (spec case 1)", () => {
    const count = (id: string): number => job(full.plan, id).steps.length;
    assert.equal(count("admin-console-pages-git@production.verify-reconcile"), 13);
    assert.equal(count("admin-console-pages-git@staging.verify-reconcile"), 12);
    assert.equal(count("api-edge-worker@production.verify-deploy"), 8);
    assert.equal(count("api-edge-worker@staging.verify-deploy"), 7);
    assert.equal(count("api-edge-worker@dev.verify-deploy"), 7);
    assert.equal(count("cluster-addons@staging.validate"), 6);
    assert.equal(count("identity-portal-values@development.render"), 3);
    assert.equal(count("identity-portal-values@staging.render"), 4);
    assert.equal(count("web-console-pages@production.verify-deploy"), 9);
  });

  test("an optional parameter tested with `if` takes the else branch when absent", () => {
    const web = job(full.plan, "web-console-pages@preview.verify-deploy");
    const build = web.steps.find((s) => s.id === "build-pages-app")!;
    assert.equal(build.run, "pnpm exec turbo run build --filter=./");
    const preBuild = web.steps.find((s) => s.id === "pre-build")!;
    assert.match(preBuild.run!, /echo "Skipping pre-build\."/);
  });

  test("the checksum and every uid recompute from the stored plan (spec case 41)", () => {
    assert.equal(computePlanChecksum(full.plan), full.plan.metadata.checksum);
    const digest = full.plan.metadata.checksum!.slice("sha256-".length);
    for (const j of full.plan.jobs) {
      assert.equal(j.uid, jobUid(digest, j.id));
      assert.equal(j.checkName, `${j.component} · ${j.environment} · ${j.displayName}`);
    }
    assert.match(full.stdout, new RegExp(`│ plan: ${digest.slice(0, 12)}\\n`));
  });

  test("compiling again gives a byte-identical plan apart from generatedAt", async () => {
    const again = await plan(FIXTURES_DIR);
    const strip = (t: string): string => t.replace(/"generatedAt": "[^"]*",\n/, "");
    assert.equal(strip(again.text), strip(full.text));
    assert.equal(again.plan.metadata.checksum, full.plan.metadata.checksum);
  });

  test("--env dev,preview keeps six jobs (spec case 3)", async () => {
    const { plan: p } = await plan(FIXTURES_DIR, ["--env", "dev,preview"]);
    assert.deepEqual(jobIds(p), [
      "api-edge-worker@dev.verify-deploy",
      "identity-worker@dev.verify-deploy",
      "platform-sdk@dev.verify",
      "platform-shared@dev.verify",
      "projects-worker@dev.verify-deploy",
      "web-console-pages@preview.verify-deploy",
    ]);
  });

  test("--component network-foundation plans its three environments (spec case 4)", async () => {
    const { plan: p, stdout } = await plan(FIXTURES_DIR, ["--component", "network-foundation"]);
    assert.deepEqual(jobIds(p), ["network-foundation@development.validate", "network-foundation@production.validate", "network-foundation@staging.validate"]);
    assert.match(stdout, /│ 1 component × 3 envs → 3 jobs/);
  });

  test("orun plan <component> pulls in its transitive dependencies (decision 5)", async () => {
    const { plan: p, stdout } = await plan(FIXTURES_DIR, ["commerce-checkout-chart"]);
    assert.deepEqual(jobIds(p), [
      "cluster-addons@development.validate",
      "cluster-addons@production.validate",
      "cluster-addons@staging.validate",
      "commerce-checkout-chart@development.render",
      "commerce-checkout-chart@production.render",
      "commerce-checkout-values@development.render",
      "commerce-checkout-values@production.render",
      "network-foundation@development.validate",
      "network-foundation@production.validate",
      "network-foundation@staging.validate",
    ]);
    assert.match(stdout, /│ 4 components × 3 envs → 10 jobs/);
    assertTopological(p);
  });
});

describe("remote-state-matrix example", { skip }, () => {
  test("compiles six smoke jobs foundation → api → web in dev and stage (spec case 7)", async () => {
    const { plan: p, stdout } = await plan(MATRIX_DIR);
    assert.match(stdout, /│ 3 components × 2 envs → 6 jobs/);
    assert.deepEqual(jobIds(p), ["api@dev.smoke", "api@stage.smoke", "foundation@dev.smoke", "foundation@stage.smoke", "web@dev.smoke", "web@stage.smoke"]);
    assert.deepEqual(edges(p), [
      "api@dev.smoke -> foundation@dev.smoke",
      "api@stage.smoke -> foundation@stage.smoke",
      "web@dev.smoke -> api@dev.smoke",
      "web@stage.smoke -> api@stage.smoke",
    ]);
    assert.deepEqual(
      p.jobs.map((j) => j.id),
      ["foundation@dev.smoke", "api@dev.smoke", "foundation@stage.smoke", "api@stage.smoke", "web@dev.smoke", "web@stage.smoke"],
      "Kahn order, smallest ready ID first",
    );
    const foundation = job(p, "foundation@dev.smoke");
    assert.equal(foundation.profileSource, "legacy-none");
    assert.equal(foundation.profile, undefined);
    assert.equal(foundation.path, "./");
    assert.equal(foundation.composition, "terraform");
    assert.deepEqual(foundation.parameters, { cluster: "dev-smoke", module: "infra/foundation" });
    assert.equal(foundation.env, undefined);
    assert.equal(foundation.labels, undefined);
    assert.deepEqual(
      foundation.steps.map((s) => [s.id, s.shell, s.run]),
      [
        ["validate", "bash", 'echo "=== SMOKE: foundation@dev.smoke validate ==="\necho "module=infra/foundation"\nsleep 2\necho "=== DONE ==="\n'],
        ["apply", "bash", 'echo "=== SMOKE: foundation@dev.smoke apply ==="\nsleep 1\necho "=== DONE ==="\n'],
      ],
    );
    assert.deepEqual(job(p, "web@stage.smoke").parameters, { chart: "charts/web", cluster: "stage-smoke" });
    assert.match(job(p, "api@stage.smoke").steps[0]!.run!, /^echo "=== SMOKE: api@stage\.smoke lint ==="\necho "chart=charts\/api"\n/);
    assert.deepEqual(p.execution.state, { mode: "remote", backendUrl: "http://127.0.0.1:8787" });
    assert.ok(p.jobs.every((j) => j.gates === undefined && j.timeout === "5m" && j.runsOn === "ubuntu-22.04"));
  });

  test("the seed's CI workflow: plan --name … --all, then get plans -o json gives .Name and .Checksum", async () => {
    const copy = path.join(tmp, "matrix");
    await fs.cp(MATRIX_DIR, copy, { recursive: true });
    await makeWritable(copy); // the shared fixtures are read-only; the copy must take a .orun store
    const planned = await runOrun(["plan", "--name", "remote-state-e2e", "--all"], { cwd: copy });
    assert.equal(planned.code, 0, planned.stderr);
    const id = /│ plan: ([0-9a-f]{12})/.exec(planned.stdout)![1]!;
    assert.match(planned.stdout, /│ name: remote-state-e2e\n/);
    assert.match(planned.stdout, new RegExp(`→ orun run ${id}\\n {2}→ orun run remote-state-e2e\\n`));
    const listed = await runOrun(["get", "plans", "-o", "json"], { cwd: copy });
    assert.equal(listed.code, 0, listed.stderr);
    const entries = JSON.parse(listed.stdout) as { Name: string; Checksum: string; Jobs: number; Path: string; CreatedAt: string }[];
    assert.deepEqual(entries.map((e) => e.Name), [id, "latest", "remote-state-e2e"]);
    const named = entries.find((e) => e.Name === "remote-state-e2e")!;
    assert.equal(named.Checksum, id);
    assert.equal(named.Jobs, 6);
    assert.ok(path.isAbsolute(named.Path) && named.Path.endsWith(path.join(".orun", "plans", "remote-state-e2e.json")));
    assert.ok(!Number.isNaN(Date.parse(named.CreatedAt)));
    // the three stored files are the same bytes
    const dir = path.join(copy, ".orun", "plans");
    const texts = await Promise.all([`${id}.json`, "latest.json", "remote-state-e2e.json"].map((f) => fs.readFile(path.join(dir, f), "utf8")));
    assert.equal(texts[0], texts[1]);
    assert.equal(texts[0], texts[2]);
    assert.ok(existsSync(path.join(copy, ".orun", "executions")));
    assert.ok(existsSync(path.join(copy, ".orun", "compositions.lock.yaml")));
  });
});
