// The values a run's steps mask, read from its events as the GitHub Actions view reads them (github-actions.ts), for a
// view that prints no step output but does print text from the run (`run --json` inside GitHub Actions: a job's error
// may quote a value a step masked).
import { Masker } from "../../runners/github-actions/masker.js";
import type { RunEvent } from "../events.js";
import { StepMaskScanner } from "./step-masks.js";
import { githubJsonText } from "./gha-logs.js";

export class RunMasks {
  private readonly masker = new Masker();
  /** Each step's output is read on its own (its stop-commands hold only in it), by job and step key. */
  private readonly steps = new Map<string, StepMaskScanner>();

  handle(event: RunEvent): void {
    if (event.type === "mask") this.masker.add(event.value);
    if (event.type !== "step-output" && event.type !== "step-end") return;
    const key = `${event.job.id}\u0000${event.stepKey}`;
    let scanner = this.steps.get(key);
    if (!scanner) this.steps.set(key, (scanner = new StepMaskScanner((value) => this.masker.add(value))));
    if (event.type === "step-output") scanner.push(event.chunk);
    else {
      scanner.end();
      this.steps.delete(key);
    }
  }

  /** `json` with the values masked so far hidden in its strings and no `##[` in them (gha-logs.ts githubJsonText). */
  json(json: string): string {
    return githubJsonText(this.masker, json);
  }
}
