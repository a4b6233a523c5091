// `orun logs` inside GitHub Actions (GITHUB_ACTIONS=true): the record keeps a step's output in clear text, and printed
// as it is into the workflow's log a value a step masked (`::add-mask::`) shows, and a line such as `::error::` or
// `##[endgroup]` is acted on by the runner around orun. So, as the run's own view does (github-actions.ts): the masks
// of the jobs shown are read from all their steps' logs first (the one that masked a value may not be the one shown)
// and handed to the runner as orun's `::add-mask::` lines, then the output is printed masked, between stop-commands
// markers whose token no step can know, with no line starting with `##[`.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { Masker } from "../../runners/github-actions/masker.js";
import type { LogEntry } from "../logs.js";
import { addMaskLines, inertToLogView, stopCommandsToken } from "./github-actions.js";
import { StepMaskScanner } from "./step-masks.js";
import { inertCommandText, inertJsonText } from "../../util/inert-command.js";
import { OrunError } from "../../util/errors.js";

export { inertCommandText, inertJsonText };

/** Whether orun prints into a GitHub Actions log (the runner sets GITHUB_ACTIONS=true in a step's environment). */
export function insideGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** The values each job's steps masked (by job ID), each step's log read on its own (its stop-commands hold only in it). */
export async function recordedJobMasks(scanned: LogEntry[]): Promise<Map<string, string[]>> {
  const byJob = new Map<string, string[]>();
  for (const entry of scanned) {
    if (entry.file === undefined) continue;
    const values = byJob.get(entry.jobId) ?? [];
    byJob.set(entry.jobId, values);
    const scanner = new StepMaskScanner((value) => values.push(value));
    // An unreadable or vanished log holds no mask (as logs reads it: empty).
    await new Promise<void>((resolve) => {
      const stream = createReadStream(entry.file!, { encoding: "utf8" });
      stream.on("data", (chunk) => scanner.push(String(chunk)));
      stream.on("error", () => resolve());
      stream.on("end", () => resolve());
    });
    scanner.end();
  }
  return byJob;
}

/**
 * The values a record's step logs masked, read as the logs grow (`orun status --watch` of a run going on): each read
 * takes only what each log gained since the last, a step's last line without a newline once the step has ended.
 */
export class RecordMaskReader {
  readonly masker = new Masker();
  private readonly logs = new Map<string, { identity: string; offset: number; decoder: StringDecoder; scanner: StepMaskScanner; ended: boolean }>();

  async read(entries: readonly LogEntry[]): Promise<Masker> {
    for (const entry of entries) {
      if (entry.file === undefined) continue;
      const file = entry.file;
      let log = this.logs.get(file);
      // A log that is another file than the one read (a resume set the old one aside, or --job X --retry removed it,
      // and the step wrote anew — longer, perhaps, by the next poll) or shorter than what was read of it was written
      // anew: read from its start. The inode number alone does not tell: ext4 gives a file removed and made again
      // at once the same one; its birth time does. (Where the file system keeps none, Node gives the change time,
      // which each write moves: a growing log is then read anew from its start at each poll — slower, not wrong.
      // Ignoring a birth time equal to the change time would not do: ext4's coarse clock gives a fresh file both.)
      const info = await stat(file, { bigint: true }).catch(() => undefined);
      if (info === undefined) {
        this.logs.delete(file);
        continue;
      }
      const size = Number(info.size);
      const identity = `${info.ino}:${info.birthtimeNs}`;
      if (!log || identity !== log.identity || size < log.offset) {
        this.logs.set(file, (log = { identity, offset: 0, decoder: new StringDecoder("utf8"), scanner: new StepMaskScanner((value) => this.masker.add(value)), ended: false }));
      }
      const reading = log;
      if (size > reading.offset) {
        // An unreadable or vanished log holds no mask (as logs reads it: empty).
        await new Promise<void>((resolve) => {
          const stream = createReadStream(file, { start: reading.offset, end: size - 1 });
          stream.on("data", (chunk) => {
            reading.offset += chunk.length;
            reading.scanner.push(reading.decoder.write(chunk as Buffer));
          });
          stream.on("error", () => resolve());
          stream.on("end", () => resolve());
        });
      }
      if (entry.status !== "running" && !reading.ended) {
        reading.scanner.push(reading.decoder.end());
        reading.scanner.end();
        reading.ended = true;
      }
    }
    return this.masker;
  }
}

/**
 * A masker holding every value of `byJob`, and the values of the jobs in `shown` (all when undefined) to hand to the
 * runner: orun's output hides them all, the runner is told those of the jobs printed.
 */
export function masksOf(byJob: ReadonlyMap<string, readonly string[]>, shown?: ReadonlySet<string>): { masker: Masker; values: string[] } {
  const values: string[] = [];
  const handed = new Masker((value) => values.push(value));
  const masker = new Masker();
  for (const [jobId, jobValues] of byJob) {
    for (const value of jobValues) {
      masker.add(value);
      if (shown === undefined || shown.has(jobId)) handed.add(value);
    }
  }
  return { masker, values };
}

/**
 * The values the steps of one job's remote log masked: a log the backend keeps whole, each step's section after a
 * `=== <step> ===` header line (`sectionStarts`: those lines' indexes) read on its own, as the local path reads each
 * step's file.
 */
export function logTextMasks(log: string, sectionStarts: ReadonlySet<number> = new Set()): string[] {
  const values: string[] = [];
  let scanner = new StepMaskScanner((value) => values.push(value));
  log.split(/(?<=\n)/).forEach((line, i) => {
    if (sectionStarts.has(i)) {
      scanner.end();
      scanner = new StepMaskScanner((value) => values.push(value));
    }
    scanner.push(line);
  });
  scanner.end();
  return values;
}

/**
 * orun's own lines (a note, a warning, an error) for a GitHub Actions log: masked, and no line a workflow command
 * (inertCommandText). Never between stop-commands markers: the runner reads stdout and stderr at once into one log
 * with one stop-commands state, so a note's markers on stderr could land inside the span of the output's markers on
 * stdout (its resume line then turning commands back on in the middle of the output) or open before it (the
 * output's `::add-mask::` lines then read as text). The output's markers are the only ones `orun logs` prints.
 */
export function githubNoteText(masker: Masker, text: string): string {
  return inertCommandText(masker.mask(text));
}

/**
 * A JSON document orun prints (`status --json`, `run --json`) for a GitHub Actions log: the values of `masker` hidden
 * in its strings and no `##[` in them (inertJsonText), still the same JSON to its reader but for the values hidden.
 */
export function githubJsonText(masker: Masker, json: string): string {
  return inertJsonText(json, (text) => masker.mask(text));
}

/**
 * `err` with the values of `masker` hidden in its message, as orun's other lines hide them (githubNoteText), and in
 * its hint, which `--json` prints apart (json-error.ts).
 */
export function maskedError(err: unknown, masker: Masker): unknown {
  if (err instanceof Error) err.message = masker.mask(err.message);
  if (err instanceof OrunError && err.hint) Object.defineProperty(err, "hint", { value: masker.mask(err.hint) });
  return err;
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
