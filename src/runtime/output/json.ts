// --json: nothing but one machine-readable summary on stdout at the end.
import type { Renderer, RunEvent } from "../events.js";

export class JsonRenderer implements Renderer {
  constructor(private readonly write: (text: string) => void) {}

  handle(event: RunEvent): void {
    if (event.type !== "run-end") return;
    const { summary } = event;
    this.write(
      `${JSON.stringify(
        {
          execId: summary.execId || undefined,
          planId: summary.planId,
          planName: summary.planName,
          runner: summary.runner,
          status: summary.status,
          dryRun: summary.dryRun,
          startedAt: summary.startedAt,
          durationMs: summary.durationMs,
          concurrency: summary.concurrency,
          counts: summary.counts,
          jobs: summary.jobs,
          recordDir: summary.recordDir,
        },
        null,
        2,
      )}\n`,
    );
  }

  close(): void {}
}
