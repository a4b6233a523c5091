// The step templates of the real v2.3 example compositions, rendered with
// realistic data. Reads the fixtures in place; skips only without /work/shared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { renderTemplate, TemplateError } from "../../src/template/index.js";
import { FIXTURES_DIR } from "../support/cli.js";

const skip = existsSync(FIXTURES_DIR) ? false : "shared fixtures are not present";

interface StepTemplate {
  file: string;
  step: string;
  field: string;
  source: string;
}

const RENDERED_FIELDS = ["run", "use", "shell", "working-directory"];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry) ? [full] : [];
  });
}

function collectStepFields(file: string, step: Record<string, unknown>, name: string, out: StepTemplate[]): void {
  for (const field of RENDERED_FIELDS) {
    if (typeof step[field] === "string") out.push({ file, step: name, field, source: step[field] });
  }
  for (const mapField of ["with", "env"]) {
    const map = step[mapField];
    if (map && typeof map === "object") {
      for (const [key, value] of Object.entries(map)) {
        if (typeof value === "string") out.push({ file, step: name, field: `${mapField}:${key}`, source: value });
      }
    }
  }
}

/** Every step (and profile step override) in the composition documents of a fixture folder. */
function stepTemplates(root: string): StepTemplate[] {
  const out: StepTemplate[] = [];
  const visit = (file: string, node: unknown, key?: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        if (key === "steps" && item && typeof item === "object") {
          const step = item as Record<string, unknown>;
          collectStepFields(file, step, String(step.name ?? step.id ?? `step-${i + 1}`), out);
        }
        visit(file, item);
      });
    } else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (key === "stepOverrides" && v && typeof v === "object") collectStepFields(file, v as Record<string, unknown>, k, out);
        visit(file, v, k);
      }
    }
  };
  for (const file of yamlFiles(root)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) visit(file, doc.toJS());
  }
  return out;
}

function data(component: string, environment: string, parameters: Record<string, unknown>): Record<string, unknown> {
  return {
    orun: {
      component: { name: component, type: "turbo-package", domain: "apps" },
      environment: { name: environment },
      composition: { type: "turbo-package" },
      profile: { name: "" },
      job: { id: `${component}.${environment}.verify`, name: "verify" },
    },
    parameters,
    env: { CI: "true" },
  };
}

const PARAMETERS = {
  nodeVersion: "20",
  pnpmVersion: "9.12.0",
  siteDir: "website",
  installCommand: "pnpm install",
  buildCommand: "pnpm build",
  typecheckCommand: "pnpm typecheck",
  deployCommand: "pnpm run deploy",
  preBuildCommand: "pnpm generate",
  outputDir: "dist",
  destinationDir: "dist",
  rootDir: "apps/admin-console",
  terraformVersion: "1.9.0",
  terraformDir: "infra/pages",
  projectName: "admin-console",
  productionBranch: "main",
  repoOwner: "acme",
  repoName: "platform",
  cloudflareBuildCommand: "pnpm build",
  helmVersion: "3.15.0",
  releaseName: "hello",
  chartPath: "charts/hello-chart/chart",
  valuesFile: "values-dev.yaml",
  stackName: "network",
  kustomizeDir: "deploy/base",
  workflowFile: "flow.yaml",
  module: "vpc",
  chart: "hello",
};

test("fixtures: every step template of the example compositions renders", { skip }, () => {
  const templates = [...stepTemplates(path.join(FIXTURES_DIR, "compositions")), ...stepTemplates(path.join(FIXTURES_DIR, "remote-state-matrix/compositions"))];
  const withActions = templates.filter((t) => t.source.replace(/\$\{\{[^]*?\}\}/g, "").includes("{{"));
  assert.ok(withActions.length >= 60, `expected many templated step fields, found ${withActions.length}`);
  for (const t of templates) {
    const name = `${path.basename(t.file)}:${t.step}:${t.field}`;
    const out = renderTemplate(t.source, data("admin-console", "production", PARAMETERS), { name });
    const goLeft = out.replace(/\$\{\{[^]*?\}\}/g, "");
    assert.ok(!goLeft.includes("{{") && !goLeft.includes("<no value>"), `${name} left template syntax: ${out}`);
  }
});

function findStep(relativeFile: string, step: string, field: string): string {
  const file = path.join(FIXTURES_DIR, relativeFile);
  const found = stepTemplates(path.dirname(file)).find((t) => t.file === file && t.step === step && t.field === field);
  assert.ok(found, `no ${field} in step ${step} of ${relativeFile}`);
  return found.source;
}

test("fixtures: helm lint command", { skip }, () => {
  const source = findStep("compositions/compositions/helm-chart/jobs/helm-chart-render.yaml", "helm-chart-lint", "run");
  assert.equal(renderTemplate(source, data("hello-chart", "dev", PARAMETERS)), "helm lint charts/hello-chart/chart --values values-dev.yaml");
});

test("fixtures: `{{if .preBuildCommand}}` tests a top-level key, so the else branch runs", { skip }, () => {
  const source = findStep("compositions/compositions/cloudflare-pages-turbo/jobs/cloudflare-pages-turbo-verify-deploy.yaml", "pre-build", "run");
  assert.equal(renderTemplate(source, data("web-console", "dev", PARAMETERS)), '\necho "Skipping pre-build."\n\n');
});

test("fixtures: inline if/else build command", { skip }, () => {
  const source = findStep("compositions/compositions/turbo-package/jobs/turbo-package-verify.yaml", "build-package", "run");
  assert.equal(renderTemplate(source, data("sdk", "dev", PARAMETERS)), "pnpm exec turbo run build --filter=./");
});

test("fixtures: with: value of a uses step", { skip }, () => {
  const source = findStep("compositions/compositions/cloudflare-worker/jobs/cloudflare-worker-verify-deploy.yaml", "setup-node", "with:node-version");
  assert.equal(renderTemplate(source, data("identity-worker", "dev", PARAMETERS)), "20");
});

test("fixtures: multi-line install block keeps its blank lines", { skip }, () => {
  const source = findStep("compositions/compositions/cloudflare-worker/jobs/cloudflare-worker-verify-deploy.yaml", "install-dependencies", "run");
  assert.equal(renderTemplate(source, data("identity-worker", "dev", PARAMETERS)), "\npnpm install\n");
});

test("fixtures: profile step override", { skip }, () => {
  const source = findStep("compositions/compositions/terraform/profiles/terraform-pull-request.yaml", "plan", "run");
  assert.equal(renderTemplate(source, data("infra-1", "dev", PARAMETERS)), "terraform -chdir=infra/pages plan -no-color -lock=false");
});

test("fixtures: remote-state-matrix smoke step", { skip }, () => {
  const source = findStep("remote-state-matrix/compositions/terraform/compositions.yaml", "validate", "run");
  assert.equal(
    renderTemplate(source, data("network", "staging", PARAMETERS)),
    'echo "=== SMOKE: network@staging.smoke validate ==="\necho "module=vpc"\nsleep 2\necho "=== DONE ==="\n',
  );
});

test("fixtures: a parameter the component lacks is a missing-key error naming it", { skip }, () => {
  const source = findStep("compositions/compositions/terraform/jobs/terraform-validate.yaml", "init", "run");
  const { terraformDir: _omitted, ...rest } = PARAMETERS;
  assert.throws(
    () => renderTemplate(source, data("infra-1", "dev", rest), { name: "terraform:terraform-init:run" }),
    (err: unknown) => err instanceof TemplateError && err.kind === "missing-key" && err.keyPath === ".parameters.terraformDir" && err.message.startsWith("template: terraform:terraform-init:run:1:"),
  );
});
