// The plan of spec 12 §4.6 (the golden vector), shared by the plan format tests.
import type { Plan } from "../../src/model/plan.js";

export /** The golden plan, written with keys deliberately out of order (the serialiser must restore Go's order). */
function goldenPlan(): Plan {
  return {
    jobs: [
      {
        retries: 2,
        timeout: "10m",
        steps: [{ run: "run-migrations --env dev", phase: "main", name: "migrate", id: "migrate" }],
        path: "./",
        job: "deploy",
        jobRegistry: "helm-jobs",
        composition: "helm",
        environment: "dev",
        component: "db",
        name: "deploy",
        id: "db.dev.deploy",
      },
      {
        parameters: { replicas: 2, ratio: 1.5 },
        labels: { team: "core" },
        env: { REGION: "eu-west-1", A: "<b>&" },
        timeout: "10m",
        dependsOn: ["db.dev.deploy"],
        steps: [
          { id: "checkout", name: "checkout", phase: "pre", order: 1, run: "git fetch" },
          { with: { z: "1", a: 2 }, run: "helm upgrade api ./chart --namespace dev", phase: "main", name: "deploy", id: "deploy" },
          { use: "actions/cache@v4", phase: "post", id: "step-3" },
        ],
        path: "services/api",
        job: "deploy",
        jobRegistry: "helm-jobs",
        profileSource: "composition-default",
        profile: "helm.default",
        composition: "helm",
        environment: "dev",
        component: "api",
        name: "deploy",
        id: "api.dev.deploy",
      },
      {
        gates: [{ match: { revision: "source" }, condition: "success", component: "api", environment: "dev", type: "environment-promotion" }],
        steps: [{ id: "deploy", name: "deploy", phase: "main", run: "helm upgrade api ./chart --namespace prod" }],
        path: "services/api",
        job: "deploy",
        jobRegistry: "helm-jobs",
        profileRuleTriggerRef: "release-tag",
        profileSource: "subscription-rule",
        profile: "helm.release",
        composition: "helm",
        environment: "prod",
        component: "api",
        name: "deploy",
        id: "api.prod.deploy",
      },
    ],
    spec: { jobBindings: { helm: "helm-jobs" } },
    execution: { failFast: true, concurrency: 4 },
    metadata: { generatedAt: "2026-01-01T00:00:00Z", name: "demo" },
    kind: "Plan",
    apiVersion: "orun.io/v1",
  };
}
