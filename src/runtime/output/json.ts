// --json: nothing but one machine-readable summary on stdout at the end
// (for --dry-run, with the full preview: order, directories, steps).
import type { JobPreview, Renderer, RunEvent } from "../events.js";
import type { RunMasks } from "./run-masks.js";

export class JsonRenderer implements Renderer {
  private preview: JobPreview[] | undefined;
  private runner: { name: string; source: string } | undefined;

  /** `masks`: inside GitHub Actions, what the run's steps masked, hidden in the summary printed into its log. */
  constructor(
    private readonly write: (text: string) => void,
    private readonly masks?: RunMasks,
  ) {}

  handle(event: RunEvent): void {
    this.masks?.handle(event);
    if (event.type === "dry-run") {
      this.preview = event.jobs;
      this.runner = event.runner;
      return;
    }
    if (event.type !== "run-end") return;
    const { summary } = event;
    const text = `${JSON.stringify(
      {
        execId: summary.execId || undefined,
        ...(summary.remoteRunId ? { remoteRunId: summary.remoteRunId } : {}),
        planId: summary.planId,
        planName: summary.planName,
        runner: summary.runner,
        ...(this.runner ? { runnerSource: this.runner.source } : {}),
        status: summary.status,
        ...(summary.executionStatus ? { executionStatus: summary.executionStatus } : {}),
        ...(summary.unfinished ? { unfinished: summary.unfinished } : {}),
        ...(summary.resumeCommand ? { resumeCommand: summary.resumeCommand } : {}),
        ...(summary.resumeNote ? { resumeNote: summary.resumeNote } : {}),
        ...(summary.approval ? { approval: summary.approval } : {}),
        ...(summary.retryCommand ? { retryCommand: summary.retryCommand } : {}),
        ...(summary.remainingCommand ? { remainingCommand: summary.remainingCommand } : {}),
        ...(summary.rejoinCommand ? { rejoinCommand: summary.rejoinCommand } : {}),
        dryRun: summary.dryRun,
        startedAt: summary.startedAt,
        durationMs: summary.durationMs,
        concurrency: summary.concurrency,
        counts: summary.counts,
        jobs: summary.jobs,
        links: summary.links ?? [],
        recordDir: summary.recordDir,
        ...(this.preview
          ? {
              preview: this.preview.map((p) => ({
                id: p.job.id,
                dependsOn: p.job.dependsOn ?? [],
                workdir: p.dir,
                retries: p.retries,
                timeout: p.timeout,
                note: p.note,
                ...(p.image ? { image: p.image.ref, ...(p.image.from ? { imageFrom: p.image.from } : {}) } : {}),
                steps: p.steps,
              })),
            }
          : {}),
      },
      null,
      2,
    )}\n`;
    this.write(this.masks ? this.masks.json(text) : text);
  }

  close(): void {}
}
