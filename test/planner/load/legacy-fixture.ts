// A legacy `--config-dir` tree like v2.3's assets/config/compositions (spec
// conformance case 37): four types, each a JobRegistry `job.yaml` plus a plain
// JSON Schema `schema.yaml`, and the intent that plans a helm component from it.

const registry = (name: string, jobs: string): string => `apiVersion: sourceplane.io/v1\nkind: JobRegistry\nmetadata:\n  name: ${name}\n  description: ${name} jobs\njobs:\n${jobs}`;

export const HELM_JOBS = registry(
  "helm-jobs",
  `  - name: deploy
    runsOn: ubuntu-22.04
    timeout: 15m
    retries: 2
    labels: {scope: deployment}
    steps:
      - name: update-repo
        run: helm repo update
        retry: 2
      - name: deploy
        run: helm upgrade --install {{.orun.component.name}} {{.parameters.chart}} --namespace {{.parameters.namespacePrefix}}{{.orun.component.name}} --create-namespace --wait=true --timeout={{.parameters.timeout}}
        onFailure: stop
  - name: rollback
    steps:
      - name: rollback
        run: helm rollback {{.orun.component.name}} -n {{.parameters.namespacePrefix}}{{.orun.component.name}}
`,
);

export const HELM_SCHEMA = `$schema: http://json-schema.org/draft-07/schema#
title: Helm component
type: object
properties:
  type: {type: string, const: helm}
  parameters:
    type: object
    required: [chart]
    properties:
      chart: {type: string}
      timeout: {type: string}
      namespacePrefix: {type: string}
`;

const simple = (registryName: string, job: string): string => registry(registryName, `  - name: ${job}\n    steps:\n      - {name: ${job}, run: echo ${job}}\n`);

/** The four types of the v2.3 legacy tree, under `root`. */
export function legacyTree(root = "assets/config/compositions"): Record<string, string> {
  return {
    [`${root}/helm/job.yaml`]: HELM_JOBS,
    [`${root}/helm/schema.yaml`]: HELM_SCHEMA,
    [`${root}/terraform/job.yaml`]: simple("terraform-jobs", "plan"),
    [`${root}/terraform/schema.yaml`]: "type: object\n",
    [`${root}/charts/job.yaml`]: simple("charts-jobs", "package"),
    [`${root}/charts/schema.yaml`]: "type: object\n",
    [`${root}/helmCommon/job.yaml`]: simple("helmcommon-jobs", "deploy"),
    [`${root}/helmCommon/schema.yaml`]: "type: object\n",
  };
}

/** Case 37's intent: no composition sources, one helm component planned into dev. */
export const LEGACY_INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: legacy}
environments:
  dev:
    selectors: {components: ["*"]}
    parameterDefaults:
      helm: {namespacePrefix: dev-, timeout: 5m}
components:
  - name: web
    type: helm
    labels: {team: a}
    parameters: {chart: oci://x/web}
`;

export const HELM_COMMAND = "helm upgrade --install web oci://x/web --namespace dev-web --create-namespace --wait=true --timeout=5m";
