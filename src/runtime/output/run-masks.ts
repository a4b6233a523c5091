// The values a run's steps mask, read from the run's events: one reader for each view that prints inside GitHub
// Actions — the groups view (github-actions.ts), which hands each value to the runner around orun as it learns it,
// and `run --json` (json.ts), which prints no step output but does print text from the run (a job's error may quote a
// value a step masked) — so the two cannot learn different values from the same run.
import { Masker } from "../../runners/github-actions/masker.js";
import type { RunEvent } from "../events.js";
import { POST_JOB_LOGS } from "../job-executor.js";
import { StepMaskScanner } from "./step-masks.js";
import { githubJsonText } from "./gha-logs.js";

interface StepRead {
  scanner: StepMaskScanner;
  /** Some of the step's output came as it ran (else its step-end's output is all there is to read). */
  streamed: boolean;
}

export class RunMasks {
  readonly masker: Masker;
  /** Each step's output is read on its own (its stop-commands hold only in it), by job and step key. */
  private readonly steps = new Map<string, StepRead>();

  /** `onMask`: told each value the run masks that it did not hold yet, as soon as it is read. */
  constructor(onMask?: (value: string) => void) {
    this.masker = new Masker(onMask);
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case "mask":
        this.masker.add(event.value);
        break;
      case "step-output": {
        // A job's post-job logs come from the runner that read their commands itself (github-actions: each mask a
        // `mask` event): what is left is text it printed, a `::add-mask::` there one printed with commands stopped.
        if (event.stepKey === POST_JOB_LOGS) break;
        const read = this.step(event.job.id, event.stepKey);
        read.scanner.push(event.chunk);
        read.streamed ||= event.chunk !== "";
        break;
      }
      case "step-retry":
        // The attempt's last line ends with it, as the step's log breaks it before the retry's marker (StepLog).
        this.steps.get(stepId(event.job.id, event.stepKey))?.scanner.end();
        break;
      case "step-end": {
        const read = this.step(event.job.id, event.stepKey);
        this.steps.delete(stepId(event.job.id, event.stepKey));
        // A runner that returns its output whole (without streaming it) is read from the step's end, as its log keeps it.
        if (!read.streamed) read.scanner.push(event.output);
        read.scanner.end();
        break;
      }
    }
  }

  /** `text` with the values masked so far hidden. */
  mask(text: string): string {
    return this.masker.mask(text);
  }

  /** `json` with the values masked so far hidden in its strings and no `##[` in them (gha-logs.ts githubJsonText). */
  json(json: string): string {
    return githubJsonText(this.masker, json);
  }

  private step(jobId: string, stepKey: string): StepRead {
    const id = stepId(jobId, stepKey);
    let read = this.steps.get(id);
    if (!read) this.steps.set(id, (read = { scanner: new StepMaskScanner((value) => this.masker.add(value)), streamed: false }));
    return read;
  }
}

function stepId(jobId: string, stepKey: string): string {
  return `${jobId}\u0000${stepKey}`;
}
