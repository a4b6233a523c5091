// The v2.3 example repositories (read in place) and our own bundled example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { compositionFor } from "../../../src/model/composition.js";
import { FIXTURES_DIR, PROJECT_ROOT } from "../../support/cli.js";
import { load } from "./helpers.js";

const noShared = !existsSync(FIXTURES_DIR);

test("the multi-environment platform fixture: 15 discovered components, 11 split-kind compositions", { skip: noShared }, async () => {
  const ws = await load(path.join(FIXTURES_DIR, "apps/api-edge"));
  assert.equal(ws.intentFile, path.join(FIXTURES_DIR, "intent.yaml"));
  assert.deepEqual(
    ws.components.map((c) => `${c.name}:${c.type}`),
    [
      "admin-console-pages-git:cloudflare-pages-turbo-terraform",
      "api-edge-worker:cloudflare-worker-turbo",
      "cluster-addons:terraform",
      "commerce-checkout-chart:helm-chart",
      "commerce-checkout-values:helm-values",
      "docs-site-direct-upload:cloudflare-pages",
      "docs-site-git-source:cloudflare-pages-terraform",
      "identity-portal-chart:helm-chart",
      "identity-portal-values:helm-values",
      "identity-worker:cloudflare-worker",
      "network-foundation:terraform",
      "platform-sdk:turbo-package",
      "platform-shared:turbo-package",
      "projects-worker:cloudflare-worker",
      "web-console-pages:cloudflare-pages-turbo",
    ],
  );
  const net = ws.components.find((c) => c.name === "network-foundation")!;
  assert.equal(net.path, "infra/infra-1");
  assert.equal(net.sourcePath, "infra/infra-1/component.yaml");
  assert.equal(net.domain, "platform-foundation");
  assert.deepEqual(net.parameters, { stackName: "network-foundation", terraformDir: ".", terraformVersion: "1.9.8" });
  assert.deepEqual(net.subscribe.environments.map((s) => `${s.name}/${s.profile}`), ["development/pull-request", "staging/verify", "production/release"]);
  const chart = ws.components.find((c) => c.name === "commerce-checkout-chart")!;
  assert.deepEqual(chart.dependsOn.map((d) => [d.component, d.environment]), [["commerce-checkout-values", undefined]]);

  assert.deepEqual(ws.sources, [
    {
      name: "example-platform",
      kind: "dir",
      path: "./compositions",
      resolvedDigest: "sha256:c41fc0830d07cccd8a5660968c2a774f31c9e2fe9ab9a468a78dea3acb05b4e8",
      exports: [
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
      ],
    },
  ]);
  const tf = compositionFor(ws.compositions, net)!;
  assert.equal(tf.key, "example-platform:terraform");
  assert.equal(tf.jobRegistryName, "sumo-ops-orun-platform-stack");
  assert.equal(tf.defaultJob, "validate");
  assert.equal(tf.defaultProfile, "verify");
  assert.deepEqual(tf.jobs.map((j) => [j.name, j.templateRef, j.runsOn, j.timeout, j.steps.map((s) => s.id).join(",")]), [
    ["validate", "terraform-validate", "ubuntu-22.04", "20m", "setup,context,fmt,init,validate,plan"],
  ]);
  assert.deepEqual(Object.keys(tf.profiles).sort(), ["pull-request", "release", "verify"]);
  assert.deepEqual(tf.profiles.release!.policies, { requireCleanGitTree: true, requirePinnedTerraformVersion: true, requireApproval: true });
  assert.equal(tf.profiles["pull-request"]!.jobs.validate!.stepOverrides.plan!.run, "terraform -chdir={{.parameters.terraformDir}} plan -no-color -lock=false");
  assert.equal(tf.schema.name, "terraform-component");
  const helmValues = ws.compositions.byType["helm-values"]!;
  assert.deepEqual(Object.keys(helmValues.profiles).sort(), ["lint-only", "verify"]);
  assert.deepEqual(Object.keys(ws.intent.environments), ["dev", "development", "preview", "production", "staging"]);
  assert.deepEqual(ws.intent.environments.staging!.policies, { requireApproval: "true" });
  assert.deepEqual(ws.intent.automation.triggerBindings["github-tag-release"]!.on.tags, ["v*"]);
});

test("the remote-state-matrix fixture: inline components, remote state settings, two inline compositions", { skip: noShared }, async () => {
  const ws = await load(path.join(FIXTURES_DIR, "remote-state-matrix"));
  assert.deepEqual(ws.components.map((c) => `${c.name}:${c.type}:${c.source}`), ["api:helm:inline", "foundation:terraform:inline", "web:helm:inline"]);
  assert.deepEqual(ws.intent.execution.state, { mode: "remote", backendUrl: "http://127.0.0.1:8787" });
  const web = ws.components.find((c) => c.name === "web")!;
  assert.deepEqual(web.dependsOn.map((d) => [d.component, d.condition]), [["api", "success"]]);
  assert.equal(web.origin.file, "intent.yaml");
  assert.deepEqual(Object.keys(ws.compositions.byType), ["helm", "terraform"]);
  const helm = ws.compositions.byType.helm!;
  assert.equal(helm.jobRegistryName, "remote-state-smoke-compositions");
  assert.deepEqual(helm.jobs.map((j) => [j.name, j.steps.map((s) => s.name).join(",")]), [["smoke", "lint,deploy"]]);
  assert.deepEqual(helm.profiles, {});
  assert.deepEqual(ws.intent.environments.dev!.parameterDefaults, { "*": { cluster: "dev-smoke" } });
});

test("our bundled example loads: 3 environments, 4 components, 2 composition types", async () => {
  const ws = await load(path.join(PROJECT_ROOT, "examples/platform/services/api"));
  assert.equal(ws.rootDir, path.join(PROJECT_ROOT, "examples/platform"));
  assert.deepEqual(Object.keys(ws.intent.environments), ["dev", "production", "staging"]);
  assert.deepEqual(
    ws.components.map((c) => [c.name, c.type, c.path, c.dependsOn.map((d) => d.component).join(",")]),
    [
      ["api", "package", "services/api", "shared-lib"],
      ["shared-lib", "package", "libs/shared", ""],
      ["site", "site", "web/site", "api"],
      ["worker", "package", "services/worker", "shared-lib"],
    ],
  );
  assert.deepEqual(ws.compositions.componentBindings, { api: "example-stack:package", "shared-lib": "example-stack:package", site: "example-stack:site", worker: "example-stack:package" });
  const pkg = ws.compositions.byType.package!;
  assert.deepEqual(Object.keys(pkg.profiles), ["release", "verify"]);
  assert.deepEqual(pkg.jobs[0]!.steps.map((s) => `${s.phase ?? "main"}:${s.name}`), ["pre:inputs", "pre:prepare", "main:compile", "main:test", "main:checksum", "post:report"]);
  const site = ws.compositions.byType.site!;
  assert.equal(site.jobs[0]!.templateRef, "site-publish");
  assert.equal(site.schema.origin.file, "compositions/compositions/site/schema.yaml");
  assert.equal(ws.intent.environments.production!.promotion.dependsOn[0]!.strategy, "environment-barrier");
});
