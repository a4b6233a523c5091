// Line-oriented view of a run, for pipes, CI logs and (under the live
// region) terminals. Sequential runs group results under component /
// environment headers; concurrent runs prefix every result line with
// `component·environment/job` (seed: "Concurrent output").
import type { PlanJob } from "../../model/plan.js";
import type { JobPreview, Renderer, RunEvent, RunSummary } from "../events.js";
import { formatDuration } from "../duration.js";
import { POST_JOB_LOGS } from "../job-executor.js";
import type { Palette } from "./terminal.js";
import { printable } from "../../util/printable.js";
import { shellWord } from "../../util/shell-word.js";
import { remoteRunWords } from "../plan-reference.js";
import { describedError, errorSummary, hintFor } from "./failure-text.js";
import { approvalOffer } from "./approval-offer.js";
import { phaseOf } from "../../model/steps.js";

export interface TextOptions {
  verbose: boolean;
  palette: Palette;
  /** Where persistent lines go (one or more, joined by "\n"; the last line's newline is the writer's). */
  writeLine(line: string): void;
}

export function jobLabel(job: PlanJob): string {
  return `${job.component}·${job.environment}/${job.name || job.id}`;
}

const MAX_FAILURE_LINES = 8;
/**
 * Characters of an unterminated verbose line held before a piece of it is shown: a long line (a JSON document on one
 * line) is kept whole up to this; past it (binary output, a progress bar that never ends its line) it is shown in
 * pieces this long. The bound of GitHub's workflow-command lines (workflow-commands.ts MAX_LINE) too.
 */
export const MAX_PARTIAL_LINE = 1024 * 1024;

export class TextRenderer implements Renderer {
  private concurrent = false;
  private lastGroup: string | undefined;
  private execId = "";
  /** Each step's unterminated line, as the chunks it came in (joined once it ends: no copy of it per chunk). */
  private readonly partial = new Map<string, { parts: string[]; length: number }>();
  /** Each running job's steps' working directories, for a failed step's "not found" hint. */
  private readonly stepCwds = new Map<string, Map<string, string>>();
  /** Each running job's phase so far, for `-v`'s `◦ Pre-steps` / `◦ Post-steps` headers (spec 20 §3.5, §6.3). */
  private readonly phases = new Map<string, "pre" | "main" | "post">();
  /**
   * `-v`'s `▶` line of each job whose runner is still setting it up (a docker image pull), shown once the job does
   * something (its first step, its end): a cancel during the set-up leaves the job not started, and no `▶` says it was.
   */
  private readonly startLines = new Map<string, string>();
  /** Each running job's steps a resume skipped (completed in an earlier run), named on the job's result line. */
  private readonly cachedSteps = new Map<string, string[]>();

  constructor(private readonly options: TextOptions) {}

  handle(event: RunEvent): void {
    const p = this.options.palette;
    const out = (line: string): void => this.options.writeLine(line);
    switch (event.type) {
      case "notice":
        out(event.message);
        break;
      case "dry-run":
        this.dryRun(event);
        break;
      case "run-start": {
        this.concurrent = event.concurrency > 1;
        // The hints name what `orun status`/`logs` take: under remote state, the backend's run (an ID from
        // --exec-id, ORUN_EXEC_ID or CI may hold any character: each printed command's words are shell-quoted).
        this.execId = event.remoteRunId ? remoteRunWords(event.remoteRunId, event.remoteBackendUrl) : shellWord(event.execId);
        const components = new Set(event.jobs.map((job) => job.component)).size;
        out("");
        out(`${p.bold("▲ orun")} ${printable(event.plan.metadata?.name || "plan")}`);
        // Under remote state the run is the backend's, which the hints and the other runners name; this runner's own
        // record (its steps, read by `orun status --exec-id <record>` without remote state) has an ID of its own.
        const run = event.remoteRunId ? `${event.remoteRunId} (remote)  ·  Local record: ${event.execId}` : event.execId;
        out(`  Plan: ${event.planId}  ·  Run: ${run}${event.target ? `  ·  Target: ${printable(event.target)}` : ""}`);
        const scope = [
          plural(components, "component"),
          plural(event.jobs.length, "job"),
          event.concurrency > 1 ? `${event.concurrency}× parallel` : "sequential",
          event.runner.name,
          ...(event.failFast ? ["fail-fast"] : []),
          ...(event.resumed ? [`${event.resumed} already completed`] : []),
        ];
        out(`  Scope: ${scope.join(" · ")}`);
        break;
      }
      case "job-start":
        this.groupHeader(event.job);
        if (this.options.verbose) this.startLines.set(event.job.id, `${this.indent()}${p.cyan("▶")} ${this.label(event.job)}${event.note ? `  ${p.dim(event.note)}` : ""}`);
        break;
      case "job-cached":
        this.groupHeader(event.job);
        out(`${this.indent()}${p.dim("⚡")} ${this.label(event.job)}  ${p.dim("already completed")}`);
        break;
      case "step-start":
        this.showStart(event.job);
        if (!this.stepCwds.has(event.job.id)) this.stepCwds.set(event.job.id, new Map());
        this.stepCwds.get(event.job.id)!.set(event.stepKey, event.cwd);
        if (this.options.verbose) {
          this.phaseHeader(event.job, phaseOf(event.step));
          const attempt = event.attempts > 1 ? `  attempt ${event.attempt}/${event.attempts}` : "";
          out(`${this.indent()}  ${p.cyan("●")} ${this.prefix(event.job)}${printable(event.stepKey)} (${event.index + 1}/${event.total})${attempt}  ${p.dim(`cwd ${printable(event.cwd)}`)}`);
        }
        break;
      case "step-cached": {
        const cached = this.cachedSteps.get(event.job.id) ?? [];
        this.cachedSteps.set(event.job.id, [...cached, event.stepKey]);
        if (!this.options.verbose) break;
        this.showStart(event.job);
        out(`${this.indent()}  ${p.dim("⚡")} ${this.prefix(event.job)}${printable(event.stepKey)} (${event.index + 1}/${event.total})  ${p.dim("cached · completed in an earlier run")}`);
        break;
      }
      case "step-output":
        if (!this.options.verbose) break;
        this.showStart(event.job);
        // The job's finish output (post hooks) comes whole, after its steps: a titled block of its own.
        if (event.stepKey === POST_JOB_LOGS) out(`${this.indent()}  ${p.cyan("●")} ${this.prefix(event.job)}${POST_JOB_LOGS}`);
        this.streamOutput(event.job, event.stepKey, event.chunk);
        if (event.stepKey === POST_JOB_LOGS) this.flushPartial(event.job, event.stepKey);
        break;
      case "step-retry":
        out(`${this.indent()}  ${p.yellow("↻")} ${this.prefix(event.job)}${printable(event.stepKey)}  retrying attempt ${event.attempt}/${event.attempts} after: ${printable(describedError(event.error))}`);
        break;
      case "step-end":
        if (this.options.verbose) {
          this.flushPartial(event.job, event.stepKey);
          if (event.status === "skipped") {
            out(`${this.indent()}  ${p.dim("↷")} ${this.prefix(event.job)}${printable(event.stepKey)}  ${p.dim(`skipped${event.reason ? ` · ${printable(event.reason)}` : ""}`)}`);
          } else {
            const mark = event.status === "completed" ? p.green("✓") : p.red("✗");
            out(`${this.indent()}  ${mark} ${this.prefix(event.job)}${printable(event.stepKey)}  ${p.dim(formatDuration(event.durationMs))}${event.error ? `  ${printable(describedError(event.error))}` : ""}`);
          }
        }
        if (event.continuing) out(`${this.indent()}  ${p.yellow("→")} ${this.prefix(event.job)}${printable(event.stepKey)} failed (${printable(describedError(event.error ?? ""))}); continuing (onFailure: continue)`);
        break;
      case "job-end":
        this.showStart(event.job);
        this.jobEnd(event);
        break;
      case "job-not-run":
        // Stopped before it started (during its set-up): its `▶` is never shown.
        this.startLines.delete(event.job.id);
        this.groupHeader(event.job);
        out(`${this.indent()}${event.status === "blocked" ? p.yellow("⊘") : p.dim("○")} ${this.label(event.job)}  ${event.status} · ${printable(event.reason)}`);
        break;
      case "run-end":
        this.summary(event.summary);
        break;
    }
  }

  close(): void {
    // nothing buffered beyond partial verbose lines, flushed at step end
  }

  /** The job's `-v` `▶` line, if it has not been shown yet. */
  private showStart(job: PlanJob): void {
    const line = this.startLines.get(job.id);
    if (line === undefined) return;
    this.startLines.delete(job.id);
    this.options.writeLine(line);
  }

  private indent(): string {
    return this.concurrent ? "  " : "    ";
  }

  // A plan refuses controls in IDs and names, not bidi controls: those are escaped as orun status shows them.
  private label(job: PlanJob): string {
    return printable(this.concurrent ? jobLabel(job) : job.name || job.id);
  }

  private prefix(job: PlanJob): string {
    return this.concurrent ? `${printable(jobLabel(job))} › ` : "";
  }

  /** A header where a job's steps enter the pre or post phase: what runs as set-up and as clean-up. */
  private phaseHeader(job: PlanJob, phase: "pre" | "main" | "post"): void {
    const previous = this.phases.get(job.id) ?? "main";
    this.phases.set(job.id, phase);
    if (phase === previous || phase === "main") return;
    const title = phase === "pre" ? "Pre-steps" : "Post-steps";
    this.options.writeLine(`${this.indent()}  ${this.options.palette.dim("◦")} ${this.prefix(job)}${title}`);
  }

  private groupHeader(job: PlanJob): void {
    if (this.concurrent) return;
    const group = `${job.component}\u0000${job.environment}`;
    if (group === this.lastGroup) return;
    this.lastGroup = group;
    this.options.writeLine("");
    this.options.writeLine(`  ${this.options.palette.bold(printable(job.component))}  ·  ${printable(job.environment)}`);
  }

  private streamOutput(job: PlanJob, stepKey: string, chunk: string): void {
    const key = `${job.id}\u0000${stepKey}`;
    const held = this.partial.get(key) ?? { parts: [], length: 0 };
    const cut = chunk.lastIndexOf("\n");
    const lead = `${this.indent()}  ${this.options.palette.dim("│")} ${this.prefix(job)}`;
    let rest = chunk;
    if (cut >= 0) {
      // One write per chunk, not per line: a chatty step's output costs a few system calls, not one a line. One
      // replace, not a split into lines and a join: thousands of strings less per chunk.
      // (`$` doubled: a replacement string reads `$&` and the like, and a job's name may hold them.)
      const text = held.parts.join("") + chunk.slice(0, cut);
      this.options.writeLine(lead + text.replaceAll("\n", `\n${lead}`.replaceAll("$", "$$$$")));
      held.parts = [];
      held.length = 0;
      rest = chunk.slice(cut + 1);
    }
    if (rest) {
      held.parts.push(rest);
      held.length += rest.length;
    }
    // A line that never ends is shown in pieces: held whole, it would grow without bound.
    if (held.length >= MAX_PARTIAL_LINE) {
      let line = held.parts.join("");
      while (line.length >= MAX_PARTIAL_LINE) {
        // Cut between characters: a 4-byte one (an emoji) is two UTF-16 units, and each half alone prints as U+FFFD.
        const last = line.charCodeAt(MAX_PARTIAL_LINE - 1);
        const size = last >= 0xd800 && last <= 0xdbff ? MAX_PARTIAL_LINE - 1 : MAX_PARTIAL_LINE;
        this.options.writeLine(lead + line.slice(0, size));
        line = line.slice(size);
      }
      held.parts = line ? [line] : [];
      held.length = line.length;
    }
    if (held.length) this.partial.set(key, held);
    else this.partial.delete(key);
  }

  private flushPartial(job: PlanJob, stepKey: string): void {
    const key = `${job.id}\u0000${stepKey}`;
    const rest = this.partial.get(key)?.parts.join("");
    this.partial.delete(key);
    if (rest) this.options.writeLine(`${this.indent()}  ${this.options.palette.dim("│")} ${this.prefix(job)}${rest}`);
  }

  private jobEnd(event: Extract<RunEvent, { type: "job-end" }>): void {
    const p = this.options.palette;
    const out = (line: string): void => this.options.writeLine(line);
    const duration = p.dim(formatDuration(event.durationMs));
    const cwds = this.stepCwds.get(event.job.id);
    this.stepCwds.delete(event.job.id);
    this.phases.delete(event.job.id);
    const cached = this.cachedSteps.get(event.job.id);
    this.cachedSteps.delete(event.job.id);
    const cachedText = cached ? `cached ${cached.map((key) => printable(key)).join(", ")} (completed in an earlier run)` : "";
    if (event.status === "completed") {
      out(`${this.indent()}${p.green("✓")} ${this.label(event.job)}  ${duration}${cached ? `  ${p.dim(`· ${cachedText}`)}` : ""}`);
      return;
    }
    const pad = `${this.indent()}   `;
    if (event.released) {
      // Handed back without a verdict (remote state): not a failure of its work, so no error, hint or output tail.
      out(`${this.indent()}${p.yellow("↷")} ${this.label(event.job)}  ${duration}  ${event.released}`);
      out(`${pad}logs  orun logs --exec-id ${this.execId} --job ${shellWord(event.job.id)}`);
      return;
    }
    // The job's line says why when that takes the spec's few words (`✗ <label>  <dur>  command exited with code 3`,
    // spec 20 §6): read alone (a CI log searched for ✗), `failed` says no more than the ✗. Any other error (a runner's
    // or the backend's sentence) is said once, on the `error` line. Not the output's first line (the spec's
    // "headline"): a failure is rarely there, and the block shows the end of the failed step's output.
    const summary = event.error ? errorSummary(event.error.replace(/^step [^:]+: /, "")) : undefined;
    out(`${this.indent()}${p.red("✗")} ${this.label(event.job)}  ${duration}  ${summary?.short ? summary.summary : "failed"}`);
    if (event.failedStep) out(`${pad}step  ${printable(event.failedStep)}`);
    if (cached) out(`${pad}${p.dim(cachedText)}`);
    if (summary) out(`${pad}error ${printable(summary.summary)}`);
    const cwd = event.failedStep === undefined ? undefined : cwds?.get(event.failedStep);
    const hint = hintFor(event.error ?? "", { cwd, localActionRoot: event.localActionRoot });
    if (hint) out(`${pad}hint  ${hint}`);
    if (!this.options.verbose) {
      const lines = event.output.split("\n").filter((line) => line.trim() !== "");
      const shown = lines.slice(-MAX_FAILURE_LINES);
      if (lines.length > shown.length) out(`${pad}${p.dim(`… ${lines.length - shown.length} earlier line(s)`)}`);
      for (const line of shown) out(`${pad}${p.dim("│")} ${line}`);
    }
    out(`${pad}logs  orun logs --exec-id ${this.execId} --job ${shellWord(event.job.id)}`);
  }

  private summary(summary: RunSummary): void {
    const p = this.options.palette;
    const out = (line: string): void => this.options.writeLine(line);
    out("");
    if (summary.dryRun) {
      out(`${p.cyan("◌")} Preview ready: ${plural(summary.counts.total, "job")} selected, nothing executed`);
      return;
    }
    const took = formatDuration(summary.durationMs);
    if (summary.status === "completed") out(`${p.green("✓")} Done in ${took}`);
    else if (summary.status === "canceled") out(`${p.red("✕")} Canceled after ${took}`);
    else out(`${p.red("✗")} Failed in ${took}`);
    const c = summary.counts;
    const parts = [
      c.succeeded && `${c.succeeded} succeeded`,
      c.failed && `${c.failed} failed`,
      c.released && `${c.released} released`,
      c.skipped && `${c.skipped} skipped`,
      c.blocked && `${c.blocked} blocked`,
      c.waiting && `${c.waiting} waiting`,
      c.cached && `${c.cached} already completed`,
    ].filter(Boolean);
    out(`  ${parts.join(" · ") || "no jobs run"}`);
    // Jobs this run's own scope left out (`not run`: --env, --job, a working folder) are what the user asked for:
    // `orun status` says the execution is incomplete, the summary does not nag (in a component folder, the resume
    // hint would only scope itself to that folder again).
    // Only under a run that completed: a failed or canceled one's own lines already say what did not finish.
    const listed = summary.status === "completed" ? (summary.unfinished ?? []) : [];
    const unfinished = listed.some((job) => job.status !== "not run") ? listed : [];
    if (unfinished.length > 0) {
      // Failed ones come first: they make the execution failed; otherwise it is incomplete (jobs still to run).
      const named = unfinished.slice(0, 3).map((job) => printable(`${job.id} (${job.status})`)).join(", ") + (unfinished.length > 3 ? `, … ${unfinished.length - 3} more` : "");
      const state = summary.executionStatus === "incomplete" ? `is incomplete, ${plural(unfinished.length, "job")} still to run` : "is still failed";
      // Under remote state the run is what is incomplete (jobs this runner's --retry reopened), not its local record.
      const whose = summary.remoteRunId ? `remote run ${printable(summary.remoteRunId)}` : `execution ${summary.execId}`;
      out(`  ${p.yellow("!")} ${whose} ${state}: ${named}`);
    }
    for (const link of summary.links ?? []) out(`  ${printable(link.label)} ${p.cyan(printable(link.url))}`);
    out("");
    const id = summary.remoteRunId ? remoteRunWords(summary.remoteRunId, summary.remoteBackendUrl) : shellWord(summary.execId);
    out(`  status  orun status --exec-id ${id}`);
    out(`  logs    orun logs --exec-id ${id}`);
    // A remote run keeps a failed job failed for every runner until `--retry` reopens it in the run. A job that
    // failed here may instead have been handed on to another runner (its lease lapsed), hence "if it failed".
    // The command names the plan and flags as the runner's did (summary.retryCommand, src/runtime/plan-reference.ts);
    // when no job failed here it retries the failed job the backend named (upstream, or this runner's job that
    // failed before), and without one there is no command to give: a placeholder would be a shell redirection.
    if (summary.status !== "completed" || unfinished.length > 0) {
      // A job another runner took over is not this runner's to retry (run-end.ts leaves it out of the command too).
      const failedHere = summary.jobs.filter((job) => job.status === "failed" && !job.notRecorded).map((job) => printable(job.id));
      if (!summary.remoteRunId) {
        out(`  resume  ${summary.resumeCommand ?? `orun run --exec-id ${id}`}`);
        // The resume command never approves: the offer to approve is its own line, naming what it approves.
        if (summary.resumeNote) out(`          ${p.dim(printable(summary.resumeNote))}`);
        if (summary.approval) out(approvalOffer(summary.approval));
      } else if (summary.retryCommand) {
        // Every job that failed here, one command each (joined with &&): naming only the first left the others' retry untold.
        const which = failedHere.length === 0 ? "the failed job in this run" : `${failedHere.join(", ")} in this run if ${failedHere.length > 1 ? "they" : "it"} failed`;
        out(`  again   retry ${which}: ${summary.retryCommand}`);
      }
      else if (summary.remainingCommand) out(`  rest    run the jobs still to run in this run: ${summary.remainingCommand}`);
      // A job released here is taken up again by this runner's own command in the run, if no other runner took it: said
      // in a shell comment, so the line pastes whole.
      const released = summary.jobs.filter((job) => job.status === "released").map((job) => printable(job.id));
      if (summary.rejoinCommand) out(`  rejoin  ${summary.rejoinCommand}${released.length > 0 ? `  # takes ${released.join(", ")} over unless another runner has` : ""}`);
    }
  }

  private dryRun(event: Extract<RunEvent, { type: "dry-run" }>): void {
    const p = this.options.palette;
    const out = (line: string): void => this.options.writeLine(line);
    const components = new Set(event.jobs.map((preview) => preview.job.component)).size;
    out("");
    out(`${p.bold("▲ orun")} ${printable(event.plan.metadata?.name || "plan")}  ${p.dim("(dry-run: nothing will be executed)")}`);
    const scope = [plural(components, "component"), plural(event.jobs.length, "job"), event.concurrency > 1 ? `${event.concurrency}× parallel` : "sequential"];
    if (event.failFast) scope.push("fail-fast");
    out(`  Scope:     ${scope.join(" · ")}`);
    out(`  Runner:    ${event.runner.name} (${event.runner.source})`);
    out(`  Workspace: ${printable(event.workspaceDir)}`);
    event.jobs.forEach((preview, index) => this.previewJob(preview, index));
  }

  private previewJob(preview: JobPreview, index: number): void {
    const p = this.options.palette;
    const out = (line: string): void => this.options.writeLine(line);
    const { job } = preview;
    out("");
    out(`  ${index + 1}. ${p.bold(printable(job.id))}`);
    // Everything below but the counts comes from the plan file, which may come from anywhere (a CI artifact): a job's
    // path, a step's command, shell or working-directory may hold an escape sequence or a bidi control.
    out(`     workdir  ${printable(preview.dir)}`);
    out(`     needs    ${job.dependsOn?.length ? printable(job.dependsOn.join(", ")) : "—"}`);
    if (preview.image) out(`     image    ${preview.image.ref === null ? "none" : `${printable(preview.image.ref)} (${printable(preview.image.from ?? "")})`}`);
    out(`     retries  ${preview.retries}  ·  timeout ${preview.timeout === undefined ? "none" : printable(preview.timeout)}`);
    // Step keys: escaped, the column as wide as the escaped form.
    const keys = preview.steps.map((step) => printable(step.key));
    const width = Math.max(...keys.map((key) => key.length), 4);
    preview.steps.forEach((step, i) => {
      // Only what differs from the job's defaults.
      const extras = [
        step.retries !== preview.retries ? `retry ${step.retries}` : "",
        step.timeout && step.timeout !== preview.timeout ? `timeout ${printable(step.timeout)}` : "",
        step.onFailure && step.onFailure.trim().toLowerCase() !== "stop" ? `onFailure ${printable(step.onFailure)}` : "",
        step.shell ? `shell ${printable(step.shell)}` : "",
        step.cwd !== preview.dir ? `cwd ${printable(step.cwd)}` : "",
        step.cached ? "cached: completed earlier, the resume skips it" : "",
      ].filter(Boolean);
      // A command of several lines shows its first and `…`. Only spaces and tabs are trimmed: a hidden character at an
      // end (U+FEFF, U+2028, a lone CR that would overwrite the line) is shown escaped, not dropped.
      const lines = step.command.split(/\r?\n/).filter((line) => !/^[ \t]*$/.test(line));
      const command = printable((lines[0] ?? "").replace(/^[ \t]+|[ \t]+$/g, ""), { keepLineBreaks: true }) + (lines.length > 1 ? " …" : "");
      out(`     ${i === 0 ? "steps" : "     "}    ${step.phase.padEnd(4)} ${keys[i]!.padEnd(width)}  ${step.kind}: ${command}${extras.length ? `  [${extras.join(" · ")}]` : ""}`);
    });
    if (preview.steps.length === 0) out("     steps    (none)");
    if (preview.note) out(`     note     ${p.yellow(printable(preview.note))}`);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
