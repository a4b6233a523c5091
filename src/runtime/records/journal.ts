// journal.jsonl: the terminal transitions of a run's jobs (completed, failed, skipped, blocked), one line
// each, appended the moment the scheduler learns of them. state.json writes are coalesced (20–250 ms
// apart), so without it a job that completed just before orun was SIGKILLed would pass for unfinished
// and run again on resume: a second deploy. One small O_APPEND write per job keeps that window closed
// for a killed process (the kernel has the bytes); readers fold the journal over state.json, and the run
// removes it once state.json holds everything (at its start after folding it in, and at its end).
import { closeSync, constants, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { readRecordFile } from "./read-record.js";
import { OrunError, errorMessage } from "../../util/errors.js";
import type { JobState } from "./state.js";

export const JOURNAL_FILE = "journal.jsonl";

/** The journal beside a state file. */
export function journalFileOf(stateFile: string): string {
  return path.join(path.dirname(stateFile), JOURNAL_FILE);
}

/** One line: the job's whole state at its terminal transition (a replay replaces the job's entry). */
interface JournalLine {
  job: string;
  state: JobState;
}

/** One journal line, newline-terminated (also what the spawn helper appends for a hand-off: HandOff.journalOnOpen). */
export function journalLine(jobId: string, state: JobState): string {
  const line: JournalLine = { job: jobId, state };
  return `${JSON.stringify(line)}\n`;
}

export class TransitionJournal {
  private fd: number | undefined;
  private failure: unknown;

  constructor(readonly file: string) {}

  /**
   * Appends synchronously: the line is in the kernel before anything else runs, whatever happens to this
   * process next. A failing write (a full disk, an unwritable record) is kept and reported by `check()`;
   * state.json still gets the transition. False when the line was not written.
   */
  append(jobId: string, state: JobState): boolean {
    if (this.failure !== undefined) return false;
    try {
      // Never through a symbolic link planted in the record: that would append to a file outside it.
      this.fd ??= openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      const bytes = Buffer.from(journalLine(jobId, state));
      // A short write (the disk filled up) leaves a torn last line, which readers ignore; nothing may follow it.
      const written = writeSync(this.fd, bytes);
      if (written !== bytes.length) throw new Error(`short write (${written} of ${bytes.length} bytes): is the disk full?`);
      return true;
    } catch (err) {
      this.failure = new OrunError(`cannot write the execution journal: ${errorMessage(err)}`, { location: { file: this.file } });
      return false;
    }
  }

  /** Throws the first write failure, if any. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Removes the journal: state.json now holds every transition in it. */
  remove(): void {
    this.close();
    try {
      rmSync(this.file, { force: true });
    } catch {
      // Left behind, it replays what state.json already holds.
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The journal's transitions in order; [] when there is none. Only an unfinished last line (a write cut
 * short) is ignored; any other unreadable line refuses with the file and line, since skipping it could
 * lose a recorded completion.
 */
export async function readJournal(file: string, validateJob: (value: unknown, field: string) => JobState): Promise<{ job: string; state: JobState }[]> {
  const text = await readRecordFile(file, "the execution journal");
  if (text === undefined) return [];
  const lines = text.split("\n");
  // Text after the last newline is a write that did not finish.
  lines.pop();
  const out: { job: string; state: JobState }[] = [];
  lines.forEach((line, index) => {
    const where = { file, line: index + 1 };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw corrupt(`invalid JSON (${errorMessage(err)})`, where);
    }
    const entry = value as Partial<JournalLine> | null;
    if (!entry || typeof entry !== "object" || typeof entry.job !== "string" || entry.job === "") throw corrupt("expected {job, state}", where);
    out.push({ job: entry.job, state: validateJob(entry.state, `line ${index + 1} state`) });
  });
  return out;
}

function corrupt(why: string, location: { file: string; line: number }): OrunError {
  return new OrunError(`corrupt execution journal at line ${location.line}: ${why}; it holds jobs finished since state.json was last written, so it is kept: fix the line, or delete the file to forget those results`, {
    location,
  });
}
