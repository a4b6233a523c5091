// A compiled plan as the backend registers it (POST /v1/runs, §4.4): the
// short checksum, and each job's canonical ID, component, dependencies and
// steps (with the keys their log sections go under, in run order). Every runner of one run sends the same payload for the same plan.
import { canonicalJobId, planShortId, type Plan } from "../model/plan.js";
import { planChecksum } from "../runtime/graph.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import type { BackendPlan } from "./protocol.js";

export function backendPlan(plan: Plan): BackendPlan {
  return {
    checksum: planShortId({ metadata: { ...plan.metadata, checksum: planChecksum(plan) } }),
    version: "sourceplane.io/v1",
    createdAt: new Date().toISOString(),
    ...(plan.metadata.revision ? { revision: plan.metadata.revision } : {}),
    ...(plan.execution?.failFast === true ? { failFast: true } : {}),
    jobs: plan.jobs.map((job) => ({
      jobId: canonicalJobId(job.id),
      component: job.component,
      deps: (job.dependsOn ?? []).map(canonicalJobId),
      steps: job.steps.map((step) => ({
        stepId: step.id || step.name || step.use || "unnamed-step",
        uses: step.use || "run",
        with: { ...(step.run ? { raw: step.run } : {}), ...(step.name ? { name: step.name } : {}) },
      })),
      // What the runtime names the log sections: readers tell a header from a step's own `=== x ===` line by it.
      stepKeys: stepKeys(orderSteps(job.steps)),
    })),
  };
}
