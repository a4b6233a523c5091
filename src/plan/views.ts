// Plan views printed by `orun plan --view` (spec 12 §5.3, exact v2.3 texts):
// `dag` (optionally long), `dependencies` and `component=<name>`.
import type { Plan, PlanJob } from "../model/plan.js";
import { compareUtf8 } from "./canonical-json.js";

const RULE = "─".repeat(58);

/** Go's `%-Ns`: pads by runes, not bytes. */
function padRunes(text: string, width: number): string {
  const runes = [...text].length;
  return runes >= width ? text : text + " ".repeat(width - runes);
}

function panelHeader(title: string, body: string[]): string {
  const lines = [`┌${RULE}┐`, `│ ${padRunes(title, 56)} │`, `├${RULE}┤`, ...body.map((b) => `│ ${b}`), `└${RULE}┘`];
  return lines.join("\n");
}

function totals(counts: Record<string, number>): string {
  return "\n" + Object.keys(counts).sort(compareUtf8).map((k) => `  ${padRunes(k, 12)} ${counts[k]}\n`).join("");
}

function byString<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareUtf8(key(a), key(b));
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The dag label of a job: the profile name, else the job name without a `-<composition>` suffix. */
function dagLabel(job: PlanJob): string {
  if (job.profile) {
    const dot = job.profile.indexOf(".");
    return dot >= 0 ? job.profile.slice(dot + 1) : job.profile;
  }
  return shortJobName(job);
}

/** `build-helm` with composition `helm` → `build`. */
export function shortJobName(job: Pick<PlanJob, "name" | "composition">): string {
  const suffix = job.composition ? `-${job.composition}` : "";
  return suffix && job.name.endsWith(suffix) && job.name.length > suffix.length ? job.name.slice(0, -suffix.length) : job.name;
}

export function renderDagView(plan: Plan, options: { long?: boolean } = {}): string {
  if (plan.jobs.length === 0) return panelHeader("plan view: dag", ["no jobs in plan"]);
  let out = "\nComponent graph\n";
  const components = groupBy(plan.jobs, (j) => j.component);
  const componentNames = [...components.keys()].sort(compareUtf8);
  componentNames.forEach((component, ci) => {
    const lastComponent = ci === componentNames.length - 1;
    out += `${lastComponent ? "└─ " : "├─ "}${component}\n`;
    const compCont = lastComponent ? "   " : "│  ";
    const envs = groupBy(components.get(component)!, (j) => j.environment);
    const envNames = [...envs.keys()].sort(compareUtf8);
    envNames.forEach((env, ei) => {
      const lastEnv = ei === envNames.length - 1;
      const jobs = [...envs.get(env)!].sort(byString((j) => j.name));
      const first = jobs[0]!;
      const profile = first.profile ? ` [${first.profile}${first.profileRuleTriggerRef ? ` via ${first.profileRuleTriggerRef}` : ""}]` : "";
      out += `${compCont}${lastEnv ? "└─ " : "├─ "}${env}${profile}\n`;
      const envCont = compCont + (lastEnv ? "   " : "│  ");
      jobs.forEach((job, ji) => {
        const lastJob = ji === jobs.length - 1;
        let line = dagLabel(job);
        if (job.timeout) line += ` · ${job.timeout}`;
        if (job.retries && job.retries > 0) line += ` (retry:${job.retries}x)`;
        out += `${envCont}${lastJob ? "└─ " : "├─ "}${line}\n`;
        const jobCont = envCont + (lastJob ? "   " : "│  ");
        const deps = [...(job.dependsOn ?? [])].sort(compareUtf8);
        const children: { text: string; run?: string }[] = [
          ...deps.map((d) => ({ text: `(depends on) ${d}` })),
          ...job.steps.map((s) => ({ text: s.name ?? "", run: s.run })),
        ];
        children.forEach((child, k) => {
          const lastChild = k === children.length - 1;
          out += `${jobCont}${lastChild ? "└─ " : "├─ "}${child.text}\n`;
          if (options.long && child.run) {
            const indent = `${jobCont}${lastChild ? "   " : "│  "}`;
            out += commandLines(child.run).map((line, i) => `${indent}${i === 0 ? "run: " : "     "}${line}`.trimEnd() + "\n").join("");
          }
        });
      });
    });
    out += "\n";
  });
  return out + totals({ components: componentNames.length, jobs: plan.jobs.length });
}

export function renderDependenciesView(plan: Plan): string {
  let out = panelHeader("plan view: dependencies", [`plan:  ${plan.metadata.name}`, `jobs:  ${plan.jobs.length}`]) + "\n";
  out += "\nDependency graph\n";
  const jobs = [...plan.jobs].sort(byString((j) => j.id));
  jobs.forEach((job, i) => {
    out += `${i === jobs.length - 1 ? "└─ " : "├─ "}${job.name} (${job.component}/${job.environment})\n`;
    const deps = job.dependsOn ?? [];
    if (deps.length === 0) out += "   └─ no dependencies\n";
    deps.forEach((dep, k) => (out += `  ${k === deps.length - 1 ? "└─" : "├─"} depends-on: ${dep}\n`));
    out += "\n";
  });
  return out + totals({ jobs: plan.jobs.length });
}

/**
 * A run command's lines without the blank ones around them (a YAML block scalar or a `{{- if }}` leaves some), so
 * each line can be printed under the tree's prefix instead of flush left.
 */
function commandLines(text: string): string[] {
  return text.replace(/^\s*\n/, "").trimEnd().split("\n");
}

/** One line of the component view: a command over 70 bytes cut to 67 characters; a multi-line one its first line and "...". */
function cut(text: string): string {
  const [first = "", ...more] = commandLines(text);
  if (Buffer.byteLength(first) > 70) return `${[...first].slice(0, 67).join("")}...`;
  return more.length > 0 ? `${first} ...` : first;
}

export function renderComponentView(plan: Plan, component: string): string {
  const jobs = plan.jobs.filter((j) => j.component === component);
  if (jobs.length === 0) return panelHeader("plan view: component", [`component: ${component}`, "no jobs found"]);
  const composition = jobs[0]!.composition ?? "";
  let out = panelHeader("plan view: component", [`plan:  ${component} [${composition}]`, `jobs:  ${jobs.length}`]) + "\n";
  out += "\nEnvironment breakdown\n";
  const envs = groupBy(jobs, (j) => j.environment);
  for (const env of [...envs.keys()].sort(compareUtf8)) {
    const envJobs = [...envs.get(env)!].sort(byString((j) => j.name));
    out += `├─ ${env} (${envJobs.length} jobs)\n`;
    envJobs.forEach((job, i) => {
      const last = i === envJobs.length - 1;
      out += `│  ${last ? "└─ " : "├─ "}${job.name}\n`;
      const conn = last ? "│   " : "│  │";
      if (job.jobRegistry) out += `${conn}  registry: ${job.jobRegistry}\n`;
      if (job.job) out += `${conn}  job: ${job.job}\n`;
      if (job.timeout) out += `${conn}  timeout: ${job.timeout}\n`;
      if (job.retries && job.retries > 0) out += `${conn}  retries: ${job.retries}\n`;
      if (job.dependsOn?.length) {
        out += `${conn}  dependencies:\n`;
        for (const dep of job.dependsOn) out += `${conn}    - ${dep}\n`;
      }
      if (job.steps.length) {
        out += `${conn}  steps:\n`;
        job.steps.forEach((step, k) => {
          out += `${conn}    ${k === job.steps.length - 1 ? "└─ " : "├─ "}${step.name ?? ""}\n`;
          if (step.run) out += `${conn}          run: ${cut(step.run)}\n`;
          else if (step.use) out += `${conn}          use: ${cut(step.use)}\n`;
        });
      }
      out += "\n";
    });
  }
  return out + totals({ jobs: jobs.length });
}

/** `dag`, `dag:long`, `dependencies`, `component=NAME`; anything else is the dag view (as in v2.3; the CLI refuses other values). */
export function renderPlanView(plan: Plan, view: string, options: { long?: boolean } = {}): string {
  if (view === "dependencies") return renderDependenciesView(plan);
  if (view.startsWith("component=")) return renderComponentView(plan, view.slice("component=".length));
  return renderDagView(plan, { long: options.long || view === "dag:long" });
}
