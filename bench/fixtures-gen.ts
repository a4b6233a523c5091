// Synthetic monorepos for benchmarks: N components × 5 environments written
// to a temp dir. Components are discovered component.yaml files spread over
// team folders, split between a profile-less `service` type (templated steps,
// phases) and a `terraform` type with execution profiles. Each component
// depends on up to two earlier ones (a DAG), environments promote
// dev → qa → staging → prod-eu/prod-us, and groups add parameter defaults and
// policies. Everything is deterministic in N.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export const BENCH_ENVIRONMENTS = ["dev", "qa", "staging", "prod-eu", "prod-us"];

const STACK = `apiVersion: orun.io/v1
kind: Stack
metadata:
  name: bench-stack
  version: 1.0.0
`;

const SERVICE = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: service
spec:
  type: service
  defaultJob: deploy
  parameterSchema:
    type: object
    properties:
      parameters:
        type: object
        properties:
          replicas: { type: integer, default: 1 }
          image: { type: string }
          port: { type: integer }
        required: [image]
  jobs:
    - name: deploy
      runsOn: ubuntu-22.04
      timeout: 15m
      retries: 1
      steps:
        - name: checkout
          phase: pre
          order: 1
          run: echo checkout {{ .orun.component.name }}
        - name: build
          run: |
            echo "building {{ .parameters.image }} for {{ .orun.environment.name }}"
            echo "replicas={{ .parameters.replicas }} port={{ .parameters.port }} region={{ .env.REGION }}"
          env:
            IMAGE: "{{ .parameters.image }}"
            JOB: "{{ .orun.job.id }}"
        - name: deploy
          run: "{{ if eq .orun.environment.name \\"dev\\" }}echo fast deploy{{ else }}echo careful deploy {{ .parameters.namespace }}{{ end }}"
        - name: notify
          phase: post
          run: echo done {{ .orun.job.id }}
`;

const TERRAFORM = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: terraform
spec:
  type: terraform
  defaultJob: plan
  defaultProfile: verify
  parameterSchema:
    type: object
  jobs:
    - name: plan
      runsOn: ubuntu-22.04
      timeout: 20m
      steps:
        - { name: init, capability: tf.init, run: "terraform -chdir={{ .parameters.dir }} init" }
        - { name: validate, capability: tf.validate, run: "terraform -chdir={{ .parameters.dir }} validate" }
        - { name: plan, capability: tf.plan, run: "terraform -chdir={{ .parameters.dir }} plan" }
        - { name: apply, capability: tf.apply, run: "terraform -chdir={{ .parameters.dir }} apply" }
  executionProfiles:
    verify:
      jobs:
        plan: { includeCapabilities: [tf.init, tf.validate, tf.plan] }
    release:
      policies: { requireApproval: true }
      jobs:
        plan:
          includeCapabilities: [tf.init, tf.plan, tf.apply]
          stepOverrides:
            apply: { run: "terraform -chdir={{ .parameters.dir }} apply -auto-approve" }
`;

function intent(): string {
  return `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: bench
compositions:
  sources:
    - name: bench
      kind: dir
      path: ./compositions
discovery:
  roots: [teams]
env:
  ORG: bench
groups:
${["alpha", "beta", "gamma", "delta"]
  .map(
    (g) => `  ${g}:
    policies: { owner: ${g} }
    parameterDefaults:
      "*": { namespace: "${g}-{{.environment}}" }
`,
  )
  .join("")}environments:
  dev:
    env: { REGION: eu-west-1 }
    parameterDefaults: { "*": { port: 8080 } }
    selectors: { components: ["*"] }
  qa:
    env: { REGION: eu-west-1 }
    parameterDefaults: { "*": { port: 8080 } }
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: dev }] }
  staging:
    env: { REGION: eu-west-2 }
    parameterDefaults: { "*": { port: 80 } }
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: qa }] }
  prod-eu:
    env: { REGION: eu-central-1 }
    parameterDefaults: { "*": { port: 443 } }
    policies: { requireApproval: "true" }
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: staging }] }
  prod-us:
    env: { REGION: us-east-1 }
    parameterDefaults: { "*": { port: 443 } }
    policies: { requireApproval: "true" }
    selectors: { components: ["*"] }
    promotion: { dependsOn: [{ environment: staging, strategy: same-component }] }
`;
}

export function componentName(i: number): string {
  return `c${String(i).padStart(5, "0")}`;
}

function manifest(i: number): string {
  const group = ["alpha", "beta", "gamma", "delta"][i % 4]!;
  const deps = i === 0 ? [] : [...new Set([(i * 7919 + 13) % i, Math.floor(i / 3)])].filter((d) => d < i);
  const terraform = i % 5 === 0;
  const lines = [
    "apiVersion: sourceplane.io/v1",
    "kind: Component",
    "metadata:",
    `  name: ${componentName(i)}`,
    "spec:",
    `  type: ${terraform ? "terraform" : "service"}`,
    `  domain: ${group}`,
    "  labels:",
    `    team: ${group}`,
    "  parameters:",
    terraform ? `    dir: infra/${componentName(i)}` : `    image: registry.example.com/${componentName(i)}:1.${i % 10}`,
  ];
  if (terraform) lines.push("  subscribe:", "    environments:", "      - dev", "      - qa", "      - staging", "      - name: prod-eu", "        profile: release", "      - name: prod-us", "        profile: release");
  if (deps.length) lines.push("  dependsOn:", ...deps.map((d) => `    - component: ${componentName(d)}`));
  return `${lines.join("\n")}\n`;
}

/** Writes a synthetic monorepo with `components` components into a new temp dir and returns it. */
export async function generateMonorepo(components: number, parent = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, `orun-bench-${components}-`));
  await mkdir(path.join(dir, "compositions", "service"), { recursive: true });
  await mkdir(path.join(dir, "compositions", "terraform"), { recursive: true });
  await writeFile(path.join(dir, "intent.yaml"), intent());
  await writeFile(path.join(dir, "compositions", "stack.yaml"), STACK);
  await writeFile(path.join(dir, "compositions", "service", "compositions.yaml"), SERVICE);
  await writeFile(path.join(dir, "compositions", "terraform", "compositions.yaml"), TERRAFORM);
  const teams = ["alpha", "beta", "gamma", "delta"];
  for (let i = 0; i < components; i++) {
    const folder = path.join(dir, "teams", teams[i % 4]!, componentName(i));
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "component.yaml"), manifest(i));
  }
  return dir;
}
