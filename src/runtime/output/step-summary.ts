// Inside GitHub Actions, the run's summary for the job summary page: at run end orun appends to $GITHUB_STEP_SUMMARY
// a markdown report (jobs, results, durations, the failed step and its error) followed by what the steps of each job
// wrote to their own GITHUB_STEP_SUMMARY under the github-actions runner (kept in the record as logs/<job>/~summary.log,
// since that runner gives every step a file of its own). Without this, those summaries never reached GitHub.
import { appendFileSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { JobSummary, Renderer, RunSummary } from "../events.js";
import { formatDuration } from "../duration.js";
import { safeSegment } from "../ids.js";
import { JOB_SUMMARY_SEGMENT } from "../records/store.js";
import { errorMessage } from "../../util/errors.js";

/** GitHub's limit on one step's summary file; what orun adds keeps the file under it. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

const RESULT: Record<JobSummary["status"], string> = {
  completed: "✅ completed",
  cached: "⚡ cached",
  failed: "❌ failed",
  released: "↩️ released",
  skipped: "⏭️ skipped",
  blocked: "⛔ blocked",
  waiting: "⏸️ waiting",
  planned: "planned",
};

/** Text as one markdown table cell or heading: no line breaks, and markdown/HTML characters taken literally. */
export function markdownText(text: string): string {
  return text.replace(/\r?\n|\r/g, " ").replace(/[\\`*_[\]<>|#~&]/g, (c) => `\\${c}`);
}

/** `text` in a fenced block whose fence is longer than any backtick run inside it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text.replace(/\n+$/, "")}\n${fence}\n`;
}

/** What the steps of `job` wrote to their GITHUB_STEP_SUMMARY, as the record holds it; undefined when nothing. */
function jobStepSummary(recordDir: string | undefined, job: JobSummary): string | undefined {
  if (recordDir === undefined || (job.status !== "completed" && job.status !== "failed")) return undefined;
  try {
    const text = readFileSync(path.join(recordDir, "logs", safeSegment(job.id), `${JOB_SUMMARY_SEGMENT}.log`), "utf8");
    return text.trim() === "" ? undefined : text;
  } catch {
    return undefined; // the job's steps wrote none
  }
}

/** The markdown orun appends for `summary`, at most `room` bytes (step summaries that would pass it are named, not copied). */
export function runSummaryMarkdown(summary: RunSummary, room = STEP_SUMMARY_LIMIT): string {
  const verdict = summary.status === "completed" ? "✅ succeeded" : summary.status === "canceled" ? "⏹️ canceled" : "❌ failed";
  const lines = [
    `## orun · ${markdownText(summary.planName)} · ${verdict} in ${formatDuration(summary.durationMs)}`,
    "",
    `Execution \`${summary.execId}\` · plan \`${summary.planId}\` · runner ${markdownText(summary.runner)}${summary.remoteRunId ? ` · remote run \`${summary.remoteRunId}\`` : ""}`,
    "",
    "| Job | Component | Environment | Result | Duration |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const job of summary.jobs) {
    const duration = job.durationMs === undefined ? "" : formatDuration(job.durationMs);
    const result = `${RESULT[job.status]}${job.reason && job.status !== "failed" ? ` · ${markdownText(job.reason)}` : ""}`;
    lines.push(`| ${markdownText(job.name || job.id)} | ${markdownText(job.component)} | ${markdownText(job.environment)} | ${result} | ${duration} |`);
  }
  let text = `${lines.join("\n")}\n`;
  for (const job of summary.jobs.filter((j) => j.status === "failed" && j.error)) {
    const where = job.failedStep ? ` › step ${markdownText(job.failedStep)}` : "";
    const error = job.failedStep ? job.error!.replace(`step ${job.failedStep}: `, "") : job.error!;
    text += `\n### ❌ ${markdownText(job.name || job.id)}${where}\n\n${fenced(error)}\nLogs: \`orun logs --exec-id ${summary.execId} --job ${job.id}\`\n`;
  }
  for (const job of summary.jobs) {
    const stepSummary = jobStepSummary(summary.recordDir, job);
    if (stepSummary === undefined) continue;
    const heading = `\n### Job summary · ${markdownText(job.name || job.id)}\n\n`;
    const section = `${heading}${stepSummary.replace(/\n*$/, "\n")}`;
    if (Buffer.byteLength(text + section) <= room) text += section;
    else text += `${heading}Not copied here: ${Math.ceil(Buffer.byteLength(stepSummary) / 1024)} KiB would pass GitHub's 1 MiB step summary limit (\`orun logs --exec-id ${summary.execId} --job ${job.id}\` shows it).\n`;
  }
  return text;
}

/** Bytes already in the summary file (another step's), so that orun's part stays under the limit with them. */
function usedBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Wraps `inner` so that a (non-dry) run's end also appends the run summary to `file`, in one append (O_APPEND: it
 * never overwrites what other steps wrote). A file orun cannot write is reported through `warn`; the run's result
 * stands.
 */
export function withStepSummary(inner: Renderer, file: string, warn: (message: string) => void): Renderer {
  return {
    handle(event) {
      inner.handle(event);
      if (event.type !== "run-end" || event.summary.dryRun) return;
      try {
        const used = usedBytes(file);
        appendFileSync(file, `${used > 0 ? "\n" : ""}${runSummaryMarkdown(event.summary, STEP_SUMMARY_LIMIT - used - 1)}`);
      } catch (err) {
        warn(`warning: cannot append the run summary to GITHUB_STEP_SUMMARY (${file}): ${errorMessage(err)}`);
      }
    },
    close: () => inner.close(),
  };
}
