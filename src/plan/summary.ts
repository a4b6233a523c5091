// Text output of the plan commands: the `orun plan` summary (spec 12 §5.2),
// `orun get plans|jobs` tables and `orun describe plan|job`.
import type { Plan, PlanJob } from "../model/plan.js";
import { planShortId } from "../model/plan.js";
import { compareUtf8 } from "./canonical-json.js";
import type { StoredPlanEntry } from "./store.js";
import { shortJobName } from "./views.js";
import { planFileWord } from "./plan-file-word.js";
import { printable } from "../util/printable.js";
import { plural } from "../util/plural.js";
import { shellWord } from "../util/shell-word.js";

/** ANSI styling, on only for a TTY unless NO_COLOR/ORUN_NO_COLOR/CLICOLOR=0/TERM=dumb; CLICOLOR_FORCE forces it. */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CLICOLOR_FORCE && env.CLICOLOR_FORCE !== "0") return true;
  if (env.NO_COLOR !== undefined || env.ORUN_NO_COLOR !== undefined || env.CLICOLOR === "0" || env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

export function styles(enabled: boolean): Styles {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap("1"), dim: wrap("2"), cyan: wrap("1;36"), green: wrap("32") };
}

export interface PlanSummaryInput {
  components: string[];
  environments: number;
  jobs: number;
  planId: string;
  name?: string;
  /** `-o FILE`: the plan was written only there, so the hints run that file (`-`: stdout, no hint). */
  file?: string;
  changedOnly?: boolean;
}

export function renderPlanSummary(input: PlanSummaryInput, s: Styles = styles(false)): string {
  const bar = s.dim("│");
  const lines = [`  ${bar} ${s.bold(`${plural(input.components.length, "component")} × ${plural(input.environments, "env")} → ${plural(input.jobs, "job")}`)}`];
  if (input.components.length > 0) {
    const shown = [...input.components].sort(compareUtf8);
    const more = shown.length > 4 ? ` (+${shown.length - 4} more)` : "";
    lines.push(`  ${bar} components: ${shown.slice(0, 4).join(", ")}${more}`);
  }
  if (input.changedOnly) lines.push(`  ${bar} mode: changed-only`);
  if (input.name) lines.push(`  ${bar} name: ${input.name}`);
  if (input.planId) lines.push(`  ${bar} plan: ${s.cyan(input.planId)}`);
  if (input.file) lines.push(`  ${bar} file: ${input.file === "-" ? "stdout" : printable(input.file)}`);
  let out = `\n${lines.join("\n")}\n`;
  if (input.jobs > 0 && input.file !== "-") {
    out += "\n";
    // With -o only that file was written: the ID and the name resolve to nothing in the store.
    // A file as a path `orun run` reads as that file (`orun run myplan` ran the stored plan myplan), pasteable as it is.
    const word = input.file ? planFileWord(input.file) : undefined;
    const refs = input.file ? (word ? [word] : []) : [input.planId, input.name].filter((r): r is string => Boolean(r));
    for (const ref of refs) out += `  ${s.dim("→")} orun run ${word ? ref : shellWord(ref)}\n`;
    if (input.file && !word) out += `  ${s.dim("→")} no orun run names this file (it trims the whitespace that ends the name): rename it to run it\n`;
  }
  return out;
}

function age(from: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - from.getTime()) / 60_000);
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours}h` : `${Math.floor(hours / 24)}d`;
}

export const NO_PLANS = "No plans yet.\n\n  Generate one with:  orun plan\n";

export function renderPlansTable(entries: StoredPlanEntry[], now: Date, s: Styles = styles(false)): string {
  if (entries.length === 0) return `${s.dim("No plans yet.")}\n\n  Generate one with:  orun plan\n`;
  let out = `${"REVISION".padEnd(14)}  ${"JOBS".padEnd(6)}  ${"AGE".padEnd(8)}  STATUS\n`;
  for (const e of entries) {
    const [jobs, status] = e.unreadable === undefined ? [String(e.Jobs), s.green("● ready")] : ["-", `✗ unreadable (${e.Path})`];
    out += `${e.Name.padEnd(14)}  ${jobs.padEnd(6)}  ${age(e.mtime, now).padEnd(8)}  ${status}\n`;
  }
  const latest = entries.find((e) => e.Name === "latest");
  const latestText = latest ? ` · latest: ${latest.unreadable === undefined ? latest.Checksum : "unreadable"}` : "";
  out += `\n${s.dim(`${entries.length} revision(s)${latestText}`)}\n`;
  return out;
}

const ICONS: Record<string, string> = { completed: "✓", succeeded: "✓", success: "✓", failed: "✗", running: "●", pending: "○" };
const icon = (status: string): string => ICONS[status] ?? "?";

export type JobsView = "tree" | "compact" | "table";

/** v2.3's column width, or the longest value's when one is longer (the columns after it stay aligned). */
const widthOf = (least: number, values: readonly string[]): number => values.reduce((most, v) => Math.max(most, v.length), least);

export function renderJobs(plan: Plan, jobs: PlanJob[], view: JobsView, status: (job: PlanJob) => string = () => "pending"): string {
  const componentWidth = (least: number): number => widthOf(least, jobs.map((j) => j.component));
  const environmentWidth = (least: number): number => widthOf(least, jobs.map((j) => j.environment));
  if (view === "table") {
    const [id, component, environment] = [widthOf(48, jobs.map((j) => j.id)), componentWidth(18), environmentWidth(14)];
    let out = `${"JOB ID".padEnd(id + 2)} ${"COMPONENT".padEnd(component)} ${"ENV".padEnd(environment)} STATUS\n`;
    for (const job of jobs) {
      const st = status(job);
      out += `${icon(st)} ${job.id.padEnd(id)} ${job.component.padEnd(component)} ${job.environment.padEnd(environment)} ${st}\n`;
    }
    return out;
  }
  if (view === "compact") {
    const [component, environment] = [componentWidth(24), environmentWidth(12)];
    return jobs.map((job) => `${icon(status(job))}  ${job.component.padEnd(component)} ${job.environment.padEnd(environment)} ${shortJobName(job)}\n`).join("");
  }
  const nameWidth = widthOf(30, jobs.map(shortJobName));
  let out = `PLAN: ${plan.metadata.name} (${planShortId(plan).slice(0, 7)}) · ${jobs.length} jobs\n\n`;
  // Grouped in one pass (component → environment → jobs in plan order): a filter per component was
  // quadratic, seconds for a plan of 20,000 jobs.
  const tree = new Map<string, Map<string, PlanJob[]>>();
  for (const job of jobs) {
    const envs = tree.get(job.component) ?? tree.set(job.component, new Map()).get(job.component)!;
    (envs.get(job.environment) ?? envs.set(job.environment, []).get(job.environment)!).push(job);
  }
  for (const component of [...tree.keys()].sort(compareUtf8)) {
    out += `${component}\n`;
    const envs = tree.get(component)!;
    for (const env of [...envs.keys()].sort(compareUtf8)) {
      out += `  ${env}\n`;
      for (const job of envs.get(env)!) {
        const st = status(job);
        out += `    ${icon(st)} ${shortJobName(job).padEnd(nameWidth)} ${st}\n`;
      }
    }
    out += "\n";
  }
  return out;
}

export function renderDescribePlan(plan: Plan): string {
  let out = `\nPlan: ${plan.metadata.name}\n${"─".repeat(60)}\n`;
  out += `Plan ID:      ${planShortId(plan)}\n`;
  out += `Generated:    ${plan.metadata.generatedAt ?? ""}\n`;
  out += `Checksum:     ${plan.metadata.checksum ?? ""}\n`;
  if (plan.metadata.revision) out += `Revision:     ${plan.metadata.revision}\n`;
  out += `Concurrency:  ${plan.execution.concurrency}\n`;
  out += `Fail Fast:    ${plan.execution.failFast}\n`;
  out += `Jobs:         ${plan.jobs.length}\n`;
  const sources = plan.spec.compositionSources ?? [];
  if (sources.length > 0) {
    out += "\nComposition Sources\n";
    for (const source of sources) out += `  ├─ ${source.name} (${source.kind})\n`;
  }
  out += "\nJobs\n";
  for (const job of plan.jobs) {
    const deps = job.dependsOn?.length ? ` → ${job.dependsOn.join(", ")}` : "";
    const gates = job.gates?.length ? ` [gated on ${job.gates.map((g) => `${g.component}@${g.environment}`).join(", ")}]` : "";
    out += `  ├─ ${job.id} (${job.steps.length} steps)${deps}${gates}\n`;
  }
  return out;
}

export function renderDescribeJob(job: PlanJob): string {
  let out = `\nJob: ${job.id}\n${"─".repeat(60)}\n`;
  out += `Component:    ${job.component}\nEnvironment:  ${job.environment}\n`;
  if (job.composition) out += `Composition:  ${job.composition}\n`;
  if (job.profile) out += `Profile:      ${job.profile} (${job.profileSource ?? ""})\n`;
  out += `Path:         ${job.path ?? ""}\n`;
  if (job.timeout) out += `Timeout:      ${job.timeout}\n`;
  if (job.retries) out += `Retries:      ${job.retries}\n`;
  if (job.dependsOn?.length) out += `Dependencies: ${job.dependsOn.join(", ")}\n`;
  for (const gate of job.gates ?? []) out += `Gate:         ${gate.component} must have ${gate.condition} in ${gate.environment} (revision: ${gate.match.revision})\n`;
  if (job.policies && Object.keys(job.policies).length) {
    out += `Policies:     ${Object.entries(job.policies).map(([k, v]) => `${k}=${v}`).join(", ")}\n`;
  }
  out += `\nSteps (${job.steps.length})\n`;
  job.steps.forEach((step, i) => {
    out += `  ${i + 1}. ${step.id || step.name || ""}${step.phase !== "main" ? ` [${step.phase}]` : ""}\n`;
    if (step.run) for (const line of step.run.trim().split("\n")) out += `     ${line}\n`;
    if (step.use) out += `     use: ${step.use}\n`;
  });
  return out;
}
