// The view of a run inside GitHub Actions (GITHUB_ACTIONS=true; spec 20 §6.6): each job's lines are held back and
// printed a step at a time, each finished step as a collapsible `::group::` holding its raw output, a failed one
// followed by an `::error::` annotation. A step's lines are printed in one piece once it ends, so the groups of jobs
// running at once never interleave. Their headers do, so under --concurrency > 1 each group title, job header and
// footer names its job inline (`api·dev/build › 01 compile`; seed 000 "Concurrent output"), as the text view's
// result lines do. The run's header and summary are the text view's.
//
// A step's output is printed between `::stop-commands::<token>` and `::<token>::`, so what it prints is never taken
// for a workflow command by the runner around orun. The spec's token is `orun-stop-<jobId>`, which a step knows (its
// ORUN_JOB_ID) and could print to turn the commands back on inside its own group: the token here also carries a
// random part made when the group is printed, after the step has ended. orun's other lines that the runner would read
// as a command are printed between such markers too, and no line starts with `##[`, which GitHub's log view reads as
// its own group and error lines whether commands are stopped or not (inertToLogView).
import { randomBytes } from "node:crypto";
import type { PlanJob } from "../../model/plan.js";
import type { Renderer, RunEvent } from "../events.js";
import { formatDuration } from "../duration.js";
import { POST_JOB_LOGS } from "../job-executor.js";
import { extractLinks } from "../links.js";
import { remoteRunWords } from "../plan-reference.js";
import { printable } from "../../util/printable.js";
import { shellWord } from "../../util/shell-word.js";
import { errorSummary, hintFor } from "./failure-text.js";
import { RunMasks } from "./run-masks.js";
import { TextRenderer, jobLabel } from "./text.js";
import type { Palette } from "./terminal.js";

const SEPARATOR = "─".repeat(60);
/** Characters of a step's output held for its group; beyond this only the last ones are (the step log has all). */
export const MAX_GROUP_OUTPUT = 4 * 1024 * 1024;
/**
 * A line the runner around orun would read as a workflow command (actions/runner ActionCommand): `::` first once
 * leading whitespace is trimmed (TryParseV2), or `##[` anywhere in it (the old syntax, TryParse).
 */
export const COMMAND_LINE = /^\s*::|##\[/;
/** Problem-matcher commands (old syntax), which the spec drops from a step's output. */
const MATCHER_LINE = /^\s*##\[(?:add|remove)-matcher\]/;
/** `##[` starting a line (after blanks): GitHub's log view reads `##[group]`, `##[endgroup]`, `##[error]`… there as its own lines. */
const LOG_VIEW_PREFIX = /(^|\r\n|\r|\n)([^\S\r\n]*)##\[/g;

/**
 * Text whose lines never start with `##[` (after blanks): a backslash goes before it, `\##[endgroup]`, so a line a
 * step printed cannot close or open a group or show as an error line in GitHub's log view, even with the runner's
 * command processing stopped (that stops commands, not how the view reads the log).
 */
export function inertToLogView(text: string): string {
  return text.replace(LOG_VIEW_PREFIX, "$1$2\\##[");
}

/**
 * A workflow command's data or title: `%`, CR and LF escaped as the runner reads them, other hidden characters as
 * printable shows them, and no line in it starting with `##[` once the runner turns `%0A` back into a line break.
 */
export function commandData(text: string): string {
  return printable(inertToLogView(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}

/** The `::add-mask::` lines that hand `value` to the runner around orun: it, and each line of one of several lines too, as orun's masker hides them. */
export function addMaskLines(value: string): string[] {
  const values = [value, ...(/[\r\n]/.test(value) ? value.split(/\r\n|\r|\n/) : [])].filter((part) => part.trim() !== "");
  return values.map((part) => `::add-mask::${part.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}`);
}

/** A stop-commands token no step can know in advance: `orun-stop-<label>-<random>`. */
export function stopCommandsToken(label: string): string {
  // Only characters that keep the token one word of a command line.
  return `orun-stop-${label.replace(/[^A-Za-z0-9._@-]/g, "_")}-${randomBytes(8).toString("hex")}`;
}

/** `<name> [component·environment]`, or the job's checkName: how the annotations name a job. */
export function annotationLabel(job: PlanJob): string {
  return job.checkName || `${job.name || job.id} [${job.component}·${job.environment}]`;
}

/** A step's output as it is held for its group: the last MAX_GROUP_OUTPUT characters of every attempt. */
class HeldOutput {
  private chunks: string[] = [];
  private size = 0;
  dropped = 0;

  add(text: string): void {
    if (text === "") return;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > MAX_GROUP_OUTPUT) {
      const first = this.chunks[0]!;
      const over = this.size - MAX_GROUP_OUTPUT;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.slice(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }

  get empty(): boolean {
    return this.size === 0;
  }

  get endsWithNewline(): boolean {
    return this.chunks.at(-1)?.endsWith("\n") === true;
  }

  text(): string {
    return this.chunks.join("");
  }
}

interface StepRecord {
  index: number;
  key: string;
  /** `cached`: a resume skipped it (it completed in an earlier run). */
  status: "completed" | "failed" | "skipped" | "cached";
  durationMs: number;
}

interface JobView {
  job: PlanJob;
  /** Lines not printed yet: the job's header until its first step is. */
  pending: string[];
  steps: Map<string, HeldOutput>;
  stepIndex: Map<string, number>;
  stepTotal: number;
  ended: StepRecord[];
  links: { label: string; url: string }[];
  cwds: Map<string, string>;
  preShown: boolean;
}

export class GithubActionsRenderer implements Renderer {
  private readonly text: TextRenderer;
  private readonly jobs = new Map<string, JobView>();
  /** What this run knows of each job's outcome, for a job's dependency lines. */
  private readonly outcomes = new Map<string, "completed" | "failed" | "running">();
  private runnerName = "";
  private execWords = "";
  /** Jobs may run at once (--concurrency > 1): what is printed of a job names it inline. */
  private concurrent = false;
  /**
   * The values the run's steps mask (`::add-mask::`, read from all their output, the part a group drops too), hidden
   * in all orun prints after them. Each is handed to the runner around orun as soon as its line is read: it never saw
   * the step's line (printed with commands stopped), and so hides it in the rest of the job's log, what other steps of
   * the workflow print included.
   */
  private readonly masks = new RunMasks((value) => this.write(addMaskLines(value)));

  constructor(
    private readonly writeLine: (line: string) => void,
    palette: Palette,
  ) {
    // The run's header, notices, jobs not run and the summary are the text view's, guarded like every line here.
    this.text = new TextRenderer({ verbose: false, palette, writeLine: (line) => this.print(line.split("\n")) });
  }

  handle(event: RunEvent): void {
    // Read first: a value a step's line masks is handed on, and hidden, before anything is printed of that line.
    this.masks.handle(event);
    switch (event.type) {
      case "run-start":
        this.runnerName = event.runner.name;
        this.concurrent = event.concurrency > 1;
        this.execWords = event.remoteRunId ? remoteRunWords(event.remoteRunId, event.remoteBackendUrl) : shellWord(event.execId);
        this.text.handle(event);
        break;
      case "job-cached":
        this.outcomes.set(event.job.id, "completed");
        this.print([`⚡ ${printable(annotationLabel(event.job))}  cached`]);
        break;
      case "job-start":
        this.outcomes.set(event.job.id, "running");
        this.jobs.set(event.job.id, {
          job: event.job,
          pending: this.jobHeader(event.job, event.note),
          steps: new Map(),
          stepIndex: new Map(),
          stepTotal: event.job.steps.length,
          ended: [],
          links: [],
          cwds: new Map(),
          preShown: false,
        });
        break;
      case "step-start": {
        const view = this.jobs.get(event.job.id);
        if (!view) break;
        view.stepIndex.set(event.stepKey, event.index);
        view.stepTotal = event.total;
        view.cwds.set(event.stepKey, event.cwd);
        if (!view.steps.has(event.stepKey)) view.steps.set(event.stepKey, new HeldOutput());
        if (event.step.phase === "pre" && !view.preShown) {
          view.preShown = true;
          view.pending.push("── Pre-steps ──", "");
        }
        break;
      }
      case "step-retry": {
        const held = this.jobs.get(event.job.id)?.steps.get(event.stepKey);
        if (!held) break;
        // Every attempt's output is shown, each one after the first headed by its number.
        if (!held.empty && !held.endsWithNewline) held.add("\n");
        held.add(`↻ retry ${event.attempt}/${event.attempts}\n`);
        break;
      }
      case "step-output":
        if (event.stepKey === POST_JOB_LOGS) this.postJobLogs(event.job, event.chunk);
        else this.jobs.get(event.job.id)?.steps.get(event.stepKey)?.add(event.chunk);
        break;
      case "step-end":
        this.stepEnd(event);
        break;
      case "step-cached":
        this.stepCached(event);
        break;
      case "job-end":
        this.outcomes.set(event.job.id, event.status);
        this.jobEnd(event);
        break;
      case "notice":
      case "dry-run":
      case "job-not-run":
      case "run-end":
        this.text.handle(event);
        break;
    }
  }

  close(): void {
    this.text.close();
  }

  /**
   * Lines outside a step's group. Text from a plan or a step (a job's name, a link's label) may start with `::` or
   * hold `##[`: such a line is printed with the runner's command processing stopped around it, so it shows as text.
   */
  private guard(lines: string[]): string[] {
    return lines.flatMap((text) => {
      const line = inertToLogView(this.masks.mask(text));
      if (!line.split(/\r\n|\r|\n/).some((part) => COMMAND_LINE.test(part))) return [line];
      const token = this.stopToken("text");
      return [`::stop-commands::${token}`, line, `::${token}::`];
    });
  }

  /** Text lines, guarded. */
  private print(lines: string[]): void {
    if (lines.length > 0) this.write(this.guard(lines));
  }

  /** Lines as they are (guarded text, workflow commands, a group's output between its markers), in one write. */
  private write(lines: string[]): void {
    this.writeLine(lines.join("\n"));
  }

  /** How a job's header and footer name it: its display name, or its label when jobs run at once. */
  private jobName(job: PlanJob): string {
    return printable(this.concurrent ? jobLabel(job) : job.displayName || job.name || job.id);
  }

  /** Put before a step's name in its group title: the job's label when jobs run at once. */
  private stepPrefix(job: PlanJob): string {
    return this.concurrent ? `${jobLabel(job)} › ` : "";
  }

  private stopToken(jobId: string): string {
    return stopCommandsToken(jobId);
  }

  private jobHeader(job: PlanJob, note: string | undefined): string[] {
    const field = (label: string, value: string | number | undefined): string[] =>
      value === undefined || value === "" ? [] : [`  ${label.padEnd(12)}${printable(String(value))}`];
    const lines = [
      "",
      `▶ ${this.jobName(job)}`,
      ...field("component", job.component),
      ...field("env", job.environment),
      ...field("job", job.name),
      ...field("job-id", job.id),
      ...field("workdir", job.path),
      ...field("runner", this.runnerName),
      ...field("steps", job.steps.length),
      ...field("note", note),
    ];
    const deps = job.dependsOn ?? [];
    if (deps.length > 0) {
      // A job starts once its dependencies have completed: one this run did not see end (another run's, another
      // runner's) has.
      const width = Math.max(...deps.map((dep) => printable(dep).length));
      const status = (dep: string): "completed" | "failed" | "running" => this.outcomes.get(dep) ?? "completed";
      const icon = { completed: "✓", failed: "✕", running: "●" };
      lines.push("", SEPARATOR, "dependencies", "");
      for (const dep of deps) lines.push(`  ${icon[status(dep)]}  ${printable(dep).padEnd(width)}  ${status(dep)}`);
      const failed = deps.find((dep) => status(dep) === "failed");
      const ready = deps.filter((dep) => status(dep) === "completed").length;
      lines.push("", failed ? `✕ dependency failed · ${printable(failed)}` : ready === deps.length ? `✓ ${ready}/${deps.length} ready` : `● waiting · ${ready}/${deps.length} ready`);
    }
    lines.push("", SEPARATOR, "steps", "");
    return lines;
  }

  /** The lines of one group: title, the held output (masked) between stop-commands markers, and what follows inside. */
  private group(title: string, jobId: string, output: string, dropped: number, after: string[] = []): string[] {
    const token = this.stopToken(jobId);
    const lines = output
      .split(/\r\n|\r|\n/)
      .filter((line) => !MATCHER_LINE.test(line))
      .map(inertToLogView);
    if (lines.at(-1) === "") lines.pop();
    const cut = dropped > 0 ? [`… ${dropped} earlier character(s) not shown here: orun logs --exec-id ${this.execWords} --job ${shellWord(jobId)}`] : [];
    return [`::group::${commandData(this.masks.mask(title))}`, `::stop-commands::${token}`, ...cut, ...lines, `::${token}::`, ...after, "::endgroup::"];
  }

  private stepEnd(event: Extract<RunEvent, { type: "step-end" }>): void {
    const view = this.jobs.get(event.job.id);
    if (!view) return;
    const held = view.steps.get(event.stepKey) ?? new HeldOutput();
    view.steps.delete(event.stepKey);
    // A runner that returns its output whole (without streaming it) is read from the step's end.
    if (held.empty) held.add(event.output);
    const output = this.masks.mask(held.text());
    const index = view.stepIndex.get(event.stepKey) ?? view.ended.length;
    view.ended.push({ index, key: event.stepKey, status: event.status, durationMs: event.durationMs });
    for (const link of extractLinks(output)) if (!view.links.some((known) => known.url === link.url)) view.links.push(link);
    const number = `${this.stepPrefix(event.job)}${String(index + 1).padStart(2, "0")}`;
    const key = printable(event.stepKey);
    const lines = this.guard(view.pending.splice(0));
    if (event.status === "skipped") {
      this.write([...lines, ...this.guard([`  ↷  ${printable(number)} ${key}  skipped`])]);
      return;
    }
    const duration = formatDuration(event.durationMs);
    if (event.status === "completed") {
      const headline = headlineOf(output);
      lines.push(...this.group(`✓  ${number} ${event.stepKey}  ${duration}${headline ? `  ·  ${headline}` : ""}`, event.job.id, output, held.dropped));
      this.write(lines);
      return;
    }
    const summary = errorSummary(event.error ?? "").summary;
    const logs = `  logs:   orun logs --exec-id ${this.execWords} --job ${shellWord(event.job.id)}`;
    lines.push(...this.group(`✕  ${number} ${event.stepKey}  ${duration}  ·  ${summary}`, event.job.id, output, held.dropped, ["", logs]));
    lines.push(`::error::${commandData(this.masks.mask(`${annotationLabel(event.job)} › ${event.stepKey}: ${summary}`))}`);
    this.write(lines);
  }

  /** A step a resume skipped: one line where its group would be, as for a skipped step. */
  private stepCached(event: Extract<RunEvent, { type: "step-cached" }>): void {
    const view = this.jobs.get(event.job.id);
    if (!view) return;
    view.stepTotal = event.total;
    view.ended.push({ index: event.index, key: event.stepKey, status: "cached", durationMs: 0 });
    // Under concurrency named by its job, as its groups are.
    const number = `${this.stepPrefix(event.job)}${String(event.index + 1).padStart(2, "0")}`;
    this.write([...this.guard(view.pending.splice(0)), ...this.guard([`  ⚡  ${printable(number)} ${printable(event.stepKey)}  cached · completed in an earlier run`])]);
  }

  private postJobLogs(job: PlanJob, chunk: string): void {
    const view = this.jobs.get(job.id);
    const lines = this.guard(view ? view.pending.splice(0) : []);
    lines.push(...this.group(`${this.stepPrefix(job)}${POST_JOB_LOGS}`, job.id, this.masks.mask(chunk), 0));
    this.write(lines);
  }

  private jobEnd(event: Extract<RunEvent, { type: "job-end" }>): void {
    const view = this.jobs.get(event.job.id);
    this.jobs.delete(event.job.id);
    if (!view) return;
    const { job } = view;
    const name = this.jobName(job);
    const passed = view.ended.filter((step) => step.status === "completed").length;
    const failed = view.ended.filter((step) => step.status === "failed").length;
    const cached = view.ended.filter((step) => step.status === "cached").length;
    const skipped = Math.max(0, view.stepTotal - passed - failed - cached);
    const slowest = view.ended.filter((step) => step.status === "completed" || step.status === "failed").reduce<StepRecord | undefined>((a, b) => (a && a.durationMs >= b.durationMs ? a : b), undefined);
    const duration = formatDuration(event.durationMs);
    const head = event.status === "completed" ? `✓ ${name} completed · ${duration}` : event.released ? `↷ ${name} released · ${duration}` : `✕ ${name} failed · ${duration}`;
    const lines = [...view.pending, "", SEPARATOR, head];
    lines.push(`  ${"component".padEnd(12)}${printable(job.component)}`);
    lines.push(`  ${"env".padEnd(12)}${printable(job.environment)}`);
    lines.push(`  ${"steps".padEnd(12)}${passed} passed, ${failed} failed, ${skipped} skipped${cached ? `, ${cached} cached` : ""}`);
    if (slowest) lines.push(`  ${"slowest".padEnd(12)}${printable(slowest.key)} ${formatDuration(slowest.durationMs)}`);
    if (event.released) lines.push(`  ${"reason".padEnd(12)}${event.released}`);
    else if (event.status === "failed") {
      if (event.failedStep) lines.push(`  ${"failed step".padEnd(12)}${printable(event.failedStep)}`);
      const cwd = event.failedStep === undefined ? undefined : view.cwds.get(event.failedStep);
      const hint = hintFor(event.error ?? "", { cwd, localActionRoot: event.localActionRoot });
      if (hint) lines.push(`  ${"hint".padEnd(12)}${hint}`);
      lines.push(`  ${"logs".padEnd(12)}orun logs --exec-id ${this.execWords} --job ${shellWord(job.id)}`);
    }
    for (const link of view.links) lines.push(`  ↗ ${printable(link.label)}  ${printable(link.url)}`);
    // A job that failed outside its steps (its runner could not set it up, its finalizer failed) is annotated too;
    // a failed step's annotation followed its group.
    const stepFailed = event.failedStep !== undefined && view.ended.some((step) => step.key === event.failedStep && step.status === "failed");
    const annotation = event.status === "failed" && !event.released && !stepFailed && event.error ? [`::error::${commandData(this.masks.mask(`${annotationLabel(job)}: ${errorSummary(event.error.replace(/^step [^:]+: /, "")).summary}`))}`] : [];
    this.write([...this.guard(lines), ...annotation]);
  }
}

/**
 * The first non-blank line of a step's output that is no workflow command and holds no URL (else the first that is no
 * command), as a group title shows it.
 */
function headlineOf(output: string): string {
  const lines = output
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  // Never a workflow command the step printed (its `::add-mask::`, shown masked): it says nothing of the step.
  const text = lines.filter((line) => !COMMAND_LINE.test(line));
  const headline = text.find((line) => !/https?:\/\//.test(line)) ?? text[0] ?? "";
  return printable(headline, { max: 100 });
}
