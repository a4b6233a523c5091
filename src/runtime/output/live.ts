// The compact live view for terminals: persistent result lines scroll as
// usual while a small region at the bottom redraws the running jobs and
// overall progress every 120 ms.
import type { PlanJob } from "../../model/plan.js";
import type { Renderer, RunEvent } from "../events.js";
import { TextRenderer, jobLabel } from "./text.js";
import type { Palette } from "./terminal.js";
import { printable } from "../../util/printable.js";

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const MAX_ROWS = 8;

export class LiveRenderer implements Renderer {
  private readonly text: TextRenderer;
  private readonly running = new Map<string, { job: PlanJob; step: string; since: number }>();
  private regionLines = 0;
  private total = 0;
  private done = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly palette: Palette,
    verbose: boolean,
  ) {
    this.text = new TextRenderer({ verbose, palette, writeLine: (line) => this.persist(line) });
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case "run-start":
        this.total = event.jobs.length;
        // Jobs already done are counted by their job-cached events: the resumed ones follow run-start, and
        // under remote state others arrive mid-run (completed by another runner).
        this.done = 0;
        this.timer = setInterval(() => this.redraw(), 120);
        this.timer.unref();
        break;
      case "job-cached":
        this.done++;
        break;
      case "job-start":
        this.running.set(event.job.id, { job: event.job, step: "starting…", since: Date.now() });
        break;
      case "step-start": {
        const row = this.running.get(event.job.id);
        if (row) row.step = `${event.stepKey} ${event.index + 1}/${event.total}`;
        break;
      }
      case "job-end":
        this.running.delete(event.job.id);
        this.done++;
        break;
      // Skipped or blocked: not run, so not counted done (spec 20's progress counts finished jobs only).
      case "job-not-run":
        this.running.delete(event.job.id);
        break;
      case "run-end":
        this.stop();
        break;
    }
    this.text.handle(event);
  }

  close(): void {
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
  }

  private persist(line: string): void {
    this.erase();
    this.stream.write(`${line}\n`);
    if (this.timer) this.redraw();
  }

  private erase(): void {
    if (this.regionLines > 0) this.stream.write(`\x1b[${this.regionLines}A\x1b[J`);
    this.regionLines = 0;
  }

  private redraw(): void {
    this.erase();
    const p = this.palette;
    const width = Math.max(20, (this.stream.columns || 100) - 1);
    const spin = SPINNER[this.frame++ % SPINNER.length]!;
    const lines: string[] = [];
    const pct = this.total ? Math.floor((this.done * 100) / this.total) : 100;
    const filled = Math.round((pct / 100) * 24);
    lines.push(`  ${p.dim(`${"▓".repeat(filled)}${"░".repeat(24 - filled)}`)} ${String(pct).padStart(3)}%  ·  ${this.done}/${this.total} jobs  ·  ${this.running.size} running`);
    const rows = [...this.running.values()].slice(0, MAX_ROWS);
    for (const row of rows) {
      const secs = ((Date.now() - row.since) / 1000).toFixed(0);
      // IDs escaped as in the lines above the region: a plan refuses controls in them, not bidi controls.
      lines.push(`  ${p.cyan(spin)} ${printable(jobLabel(row.job))}  ${p.dim(`${printable(row.step)} · ${secs}s`)}`);
    }
    if (this.running.size > rows.length) lines.push(`  ${p.dim(`+ ${this.running.size - rows.length} more running`)}`);
    this.stream.write(lines.map((line) => truncate(line, width)).join("\n") + "\n");
    this.regionLines = lines.length;
  }
}

function truncate(line: string, width: number): string {
  // Visible width ignoring ANSI escapes.
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}
