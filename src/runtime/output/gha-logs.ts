// `orun logs` inside GitHub Actions (GITHUB_ACTIONS=true): the record keeps a step's output in clear text, and printed
// as it is into the workflow's log a value a step masked (`::add-mask::`) shows, and a line such as `::error::` or
// `##[endgroup]` is acted on by the runner around orun. So, as the run's own view does (github-actions.ts): the masks
// of the jobs shown are read from all their steps' logs first (the one that masked a value may not be the one shown)
// and handed to the runner as orun's `::add-mask::` lines, then the output is printed masked, between stop-commands
// markers whose token no step can know, with no line starting with `##[`.
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { Masker } from "../../runners/github-actions/masker.js";
import type { LogEntry } from "../logs.js";
import { addMaskLines, inertToLogView, stopCommandsToken } from "./github-actions.js";
import { StepMaskScanner } from "./step-masks.js";

/** Whether orun prints into a GitHub Actions log (the runner sets GITHUB_ACTIONS=true in a step's environment). */
export function insideGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** The values the steps of `scanned` masked, each step's log read on its own (its stop-commands hold only in it). */
export async function recordedMasks(scanned: LogEntry[]): Promise<{ masker: Masker; values: string[] }> {
  const values: string[] = [];
  const masker = new Masker((value) => values.push(value));
  for (const entry of scanned) {
    if (entry.file === undefined) continue;
    const scanner = new StepMaskScanner((value) => masker.add(value));
    // An unreadable or vanished log holds no mask (as logs reads it: empty).
    await new Promise<void>((resolve) => {
      const stream = createReadStream(entry.file!, { encoding: "utf8" });
      stream.on("data", (chunk) => scanner.push(String(chunk)));
      stream.on("error", () => resolve());
      stream.on("end", () => resolve());
    });
    scanner.end();
  }
  return { masker, values };
}

/**
 * Wraps `write` for a GitHub Actions log: the masks' `::add-mask::` lines and a stop-commands marker at once, then
 * each line masked and kept from GitHub's log view; `end()` prints the line left unfinished and the closing marker.
 * Lines are masked whole, so a value split between two pieces of a log is still hidden. `learn` (logs --follow, whose
 * steps may mask a value after the record was read): a value a line masks is handed on before that line is printed,
 * the markers closed around its `::add-mask::` line.
 */
export function githubLogWriter({ masker, values }: { masker: Masker; values: string[] }, write: (chunk: string) => void, options: { learn?: boolean } = {}): { write: (chunk: string | Buffer) => void; end: () => void } {
  let token = stopCommandsToken("logs");
  write([...values.flatMap(addMaskLines), `::stop-commands::${token}`, ""].join("\n"));
  const learner = options.learn
    ? new StepMaskScanner((value) => {
        const known = masker.size;
        masker.add(value);
        if (masker.size === known) return;
        const closed = token;
        token = stopCommandsToken("logs");
        write([`::${closed}::`, ...addMaskLines(value), `::stop-commands::${token}`, ""].join("\n"));
      })
    : undefined;
  const decoder = new StringDecoder("utf8");
  let partial = "";
  const out = (text: string): void => {
    learner?.push(text);
    write(inertToLogView(masker.mask(text)));
  };
  return {
    write(chunk) {
      const text = partial + (typeof chunk === "string" ? chunk : decoder.write(chunk));
      const cut = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
      partial = text.slice(cut + 1);
      if (cut >= 0) out(text.slice(0, cut + 1));
    },
    end() {
      const rest = partial + decoder.end();
      partial = "";
      if (rest !== "") out(`${rest}\n`);
      write(`::${token}::\n`);
    },
  };
}
