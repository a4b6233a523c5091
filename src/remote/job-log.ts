// One claimed job's remote log (held-jobs.ts holds one per job it runs): its steps' output uploaded as it streams,
// each step's under a `=== <step> ===` line, so `orun logs --remote-state [--follow]` shows what the local step
// logs hold. Appends carry their offset and go one at a time; a v2 backend, which keeps no offsets, gets the whole
// log replaced instead. Nothing is lost in silence: what the backend's cap, a slow or unreachable backend, a
// refusal or the run's stop kept from it is counted and said (in the log where it is missing, or by the runner).
// What is uploaded is masked, as GitHub masks a log before it stores it: the values the steps masked (`::add-mask::`)
// and the runner's own secrets become `***`, line by line (a value split between two chunks of output is still
// hidden); the local execution record keeps the raw output.
import { formatDuration } from "../runtime/duration.js";
import { Masker } from "../runners/github-actions/masker.js";
import { StepMaskScanner } from "../runtime/output/step-masks.js";
import { errorMessage } from "../util/errors.js";
import { BackendError, RequestCancelled, isRunNotFound, type BackendClient } from "./client.js";

export interface JobLogOptions {
  client: BackendClient;
  runId: string;
  runnerId: string;
  jobId: string;
  /** The job's lease secret (ClaimResponse.leaseToken), sent with each append: never printed. */
  lease?: string;
  say: (line: string) => void;
  /** Whether someone follows the run's logs, shared by the run's jobs: the last append answer of any says. */
  pace: { followed: boolean };
  /** How long a running step's whole lines wait before upload (see LIVE_FLUSH_MS, IDLE_FLUSH_MS; tests shorten them). */
  liveFlushMs?: { followed?: number; idle?: number };
  /** The backend no longer has the run: the job is stopped here (its result cannot be recorded either). */
  onRunGone: () => void;
  /**
   * Hides values in what is uploaded; the values the job's steps mask are added to it. Shared by the jobs of a
   * runner (RemoteHooks): a value one job masked is hidden in the logs of the jobs that run after on this runner.
   */
  masker?: Masker;
}

/** A step's streamed output: `text` waits for upload; `started` once its `=== step ===` header went. */
interface StepStream {
  /** Raw output: masked as it is queued for upload, whole lines only while the step runs (see uploadableEnd). */
  text: string;
  /** Reads the step's `::add-mask::` lines as its output arrives, before any of it is uploaded. */
  scanner: StepMaskScanner;
  started: boolean;
  /** The last text queued for upload ended a line (a section ends with one). */
  endsLine: boolean;
  /** Bytes dropped since the last piece queued (a backend slower than the step): said in the next one. */
  dropped: number;
  /** Uploads the whole lines waiting after output arrived (set while some wait; see liveFlushDelay). */
  timer?: NodeJS.Timeout;
}

/** Text waiting for upload, with the step it is of (named by a truncation marker). */
interface Piece {
  stepKey: string;
  text: string;
}

/**
 * A step's output is uploaded as it streams, in pieces of about this size (and the rest when it ends): the
 * whole of it reaches the backend, up to the backend's cap, and no more than this goes in one request.
 * The runtime keeps only a step's first MiB for its result, which was all the backend got.
 */
const STREAM_PIECE_CHARS = 1024 * 1024;

/**
 * Whole lines a step printed go up at most this long after it printed them, however little, while someone follows
 * the run's logs (the backend says so in its append answers), and for a step's first lines: `orun logs --follow`
 * shows a running step's progress, not only what finished steps printed.
 */
const LIVE_FLUSH_MS = 2_000;

/**
 * With nobody following, a running step's lines go up this often (and in 1 MiB pieces, and when it ends): a
 * 1,000-job run of one-minute steps printing steadily made 30 appends a job at the 2 s pace, 7 times its claims,
 * updates and heartbeats together. A follower who starts is noticed at the next upload.
 */
const IDLE_FLUSH_MS = 30_000;

/** Output queued for upload past this (a backend slower than the steps write) is dropped, saying so in the log. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/**
 * After Ctrl-C or SIGTERM, how long a stopped job's last log and its result may still take to reach the backend:
 * a backend that answers gets them, one that does not keep the runner from exiting for its retry budget.
 */
export const CANCEL_GRACE_MS = 5_000;

export class JobLog {
  /** Aborts CANCEL_GRACE_MS after the run's cancel: uploads give up then (set when the job is admitted). */
  uploads?: AbortSignal;
  /** Bytes of the log the backend holds (the next append's offset). */
  private logBytes = 0;
  /** The backend's cap on a job's log, as its append answers name it (an older backend's do not). */
  private cap?: number;
  /** The log reached the backend's cap: nothing more is uploaded; `droppedBytes` counts what was not. */
  private truncated = false;
  /** Bytes the cap or a backend slower than the steps kept out of the log (said in it where they are missing). */
  private droppedBytes = 0;
  /**
   * The log's text waiting for upload, in order. One upload is in flight (`pumping`; offsets must be sequential):
   * what arrives meanwhile waits here and goes in the next request, so a backend slower than the steps gets fewer,
   * larger appends. A piece whose upload gave up (the backend out of reach for the client's whole retry budget)
   * goes back to the front: sent again with the next output, or at the job's end — never dropped in silence.
   */
  private pending: Piece[] = [];
  private pumping?: Promise<void>;
  /** Bytes pending or in flight: bounds what a backend slower than the steps costs in memory. */
  private queuedBytes = 0;
  /** Why the last upload gave up while what it carried is still pending (said once per outage). */
  private uploadFailure?: string;
  /** Bytes the run's stop (Ctrl-C, SIGTERM) kept from the backend: said once, at the job's end. */
  private cancelledBytes = 0;
  /**
   * The backend refused an upload (not out of reach: the job handed to another runner, say): sending more would be
   * refused too, so the rest of the job's output is counted, not sent, and the refusal is said once.
   */
  private refused?: string;
  private refusedBytes = 0;
  /**
   * The job's whole log so far, kept only against a v2 backend: it replaces the log on every upload and
   * answers without a size, so each upload sends everything (v2's own way) instead of appending.
   */
  private wholeLog?: string;
  /** Output of the job's steps as it streams in, not uploaded yet. */
  private readonly streams = new Map<string, StepStream>();
  private ended = false;
  private readonly masker: Masker;

  constructor(private readonly options: JobLogOptions) {
    this.masker = options.masker ?? new Masker();
  }

  /** Output as the step writes it: queued, and uploaded in STREAM_PIECE_CHARS pieces and live lines. */
  output(stepKey: string, chunk: string): void {
    if (chunk === "" || this.ended) return;
    let stream = this.streams.get(stepKey);
    if (!stream) this.streams.set(stepKey, (stream = { text: "", scanner: this.maskScanner(), started: false, endsLine: true, dropped: 0 }));
    // Read even when nothing more is uploaded: the runner's other jobs hide what this one masks.
    stream.scanner.push(chunk);
    if (this.truncated) {
      this.droppedBytes += Buffer.byteLength(chunk);
      return;
    }
    stream.text += chunk;
    if (stream.text.length > STREAM_PIECE_CHARS) this.flushStream(stepKey, stream, false);
    else stream.timer ??= setTimeout(() => this.flushLines(stepKey, stream), this.liveFlushDelay(stream)).unref();
  }

  /** The step runs again: the output that follows is the next attempt's, marked as in the local step log. */
  retry(stepKey: string, attempt: number, attempts: number): void {
    const stream = this.streams.get(stepKey);
    if (stream && (stream.started || stream.text !== "")) this.output(stepKey, `\n↻ retry ${attempt}/${attempts}\n`);
  }

  /** The step ended: the rest of its output goes up. A runner that streamed nothing: its result's output is the log. */
  stepFinished(stepKey: string, output: string): Promise<void> {
    const stream = this.streams.get(stepKey);
    this.streams.delete(stepKey);
    if (stream) {
      stream.scanner.end();
      this.flushStream(stepKey, stream, true);
      return this.pumping ?? Promise.resolve();
    }
    if (output.trim() === "") return Promise.resolve();
    const scanner = this.maskScanner();
    scanner.push(output);
    scanner.end();
    return this.queueUpload(stepKey, `=== ${stepKey} ===\n${this.masker.mask(output)}${output.endsWith("\n") ? "" : "\n"}`);
  }

  /**
   * At the job's end: the upload in flight, then one more try at what an outage left pending. What still could not
   * be sent is counted and said, with what the cap, a refusal and the run's stop kept out.
   */
  async finish(): Promise<void> {
    this.close();
    await this.pumping;
    if (this.pending.length > 0) await this.pump();
    const { jobId, say } = this.options;
    const unsent = this.pending.reduce((sum, piece) => sum + Buffer.byteLength(piece.text), 0);
    this.pending = [];
    if (unsent > 0) say(`! log of ${jobId}: ${unsent} bytes not uploaded (${this.uploadFailure ?? "the backend did not answer"}); the local execution record has all of it`);
    if (this.cancelledBytes > 0) say(`! log of ${jobId}: ${this.cancelledBytes} bytes not uploaded: ${cancelledUpload()}`);
    if (this.refusedBytes > 0) say(`! log of ${jobId}: ${this.refusedBytes} bytes not uploaded (refused: ${this.refused}); the local execution record has all of it`);
    if (this.truncated) say(`! log of ${jobId} truncated at the backend's size cap: ${this.droppedBytes} bytes not uploaded (the local execution record has all of it)`);
  }

  /** Stops live uploads (their timers keep nothing alive, but a job that ended uploads nothing more). */
  close(): void {
    this.ended = true;
    for (const stream of this.streams.values()) clearTimeout(stream.timer);
  }

  private maskScanner(): StepMaskScanner {
    return new StepMaskScanner((value) => this.masker.add(value));
  }

  /**
   * How much of a running step's `text` can go up now: its whole lines, masked whole. A line longer than a piece
   * goes in parts, never past what the step's scanner has read (a mask there, not read yet, would go up with its
   * value in clear: `::add-mask::v\r` on a line of exactly a piece did, the scanner reading a line's part only past
   * MAX_LINE), and cut within that where no masked value can lie across it (Masker.safeCut). Bounding safeCut's place
   * by the scanner's instead cut through a value lying across the scanner's piece: its halves went up in clear.
   * A line feed ends a scanner line, so the whole lines are always read.
   */
  private uploadableEnd(stream: StepStream): number {
    const { text } = stream;
    const lines = text.lastIndexOf("\n") + 1;
    if (text.length - lines <= STREAM_PIECE_CHARS) return lines;
    const read = text.length - stream.scanner.unread;
    return Math.max(lines, this.masker.safeCut(text.slice(0, read)));
  }

  /** A step's first lines, and every line while someone follows, go up soon; otherwise at the idle pace. */
  private liveFlushDelay(stream: StepStream): number {
    const { followed = LIVE_FLUSH_MS, idle = IDLE_FLUSH_MS } = this.options.liveFlushMs ?? {};
    return !stream.started || this.options.pace.followed ? followed : idle;
  }

  /** The whole lines `stream` holds, uploaded while the step still runs (the rest waits for its line's end). */
  private flushLines(stepKey: string, stream: StepStream): void {
    stream.timer = undefined;
    if (this.ended || this.streams.get(stepKey) !== stream) return;
    const cut = stream.text.lastIndexOf("\n") + 1;
    if (cut === 0 || (!stream.started && stream.text.slice(0, cut).trim() === "")) return;
    this.flushStream(stepKey, stream, false);
  }

  /**
   * Queues what `stream` holds for upload, masked: under the step's header the first time, ending its section on the
   * step's last piece, which takes all it holds (a running step's, its whole lines: see uploadableEnd). A step whose
   * output is only whitespace uploads nothing (v2 skips it too).
   */
  private flushStream(stepKey: string, stream: StepStream, last: boolean): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    const cut = last ? stream.text.length : this.uploadableEnd(stream);
    let text = stream.text.slice(0, cut);
    stream.text = stream.text.slice(cut);
    if (!last && text === "") return;
    if (!stream.started && last && text.trim() === "" && stream.dropped === 0) return;
    const header = stream.started ? "" : `=== ${stepKey} ===\n`;
    if (last && !(text === "" ? header !== "" || stream.endsLine : text.endsWith("\n"))) text += "\n";
    text = this.masker.mask(text);
    if (this.queuedBytes + Buffer.byteLength(header + text) > MAX_QUEUED_BYTES) {
      // The backend takes the log more slowly than the steps write it: the piece is dropped, and the next piece
      // queued (or the step's end) says how much is missing there.
      const dropped = Buffer.byteLength(text);
      this.droppedBytes += dropped;
      stream.dropped += dropped;
      if (!last) return;
      text = "";
    }
    if (stream.dropped > 0) {
      const gap = `[orun] ${stream.dropped} bytes of step ${stepKey} not uploaded: the backend took this log more slowly than the step wrote it\n`;
      text = `${header === "" && !stream.endsLine ? "\n" : ""}${gap}${text}`;
      stream.dropped = 0;
    }
    text = header + text;
    if (text === "") return;
    stream.started = true;
    stream.endsLine = text.endsWith("\n");
    void this.queueUpload(stepKey, text);
  }

  /** Appends `chunk` to the log after what is pending before it; resolves when the upload in flight ends. */
  private queueUpload(stepKey: string, chunk: string): Promise<void> {
    if (this.truncated) {
      this.droppedBytes += Buffer.byteLength(chunk);
      return Promise.resolve();
    }
    this.queuedBytes += Buffer.byteLength(chunk);
    this.pending.push({ stepKey, text: chunk });
    return this.pump();
  }

  /** Uploads what is pending, a request at a time, until none is left or an upload gives up (kept for later). */
  private pump(): Promise<void> {
    this.pumping ??= (async () => {
      while (this.pending.length > 0) {
        const piece = takePiece(this.pending, STREAM_PIECE_CHARS);
        const bytes = Buffer.byteLength(piece.text);
        const settled = await this.uploadPiece(piece);
        if (!settled) {
          // Kept for later, less a start that turned out to have landed (see resync).
          this.queuedBytes -= bytes - Buffer.byteLength(piece.text);
          this.pending.unshift(piece);
          return;
        }
        this.queuedBytes -= bytes;
      }
    })().finally(() => (this.pumping = undefined));
    return this.pumping;
  }

  /**
   * One request of the log. False when it gave up and trying again later may work (the backend out of reach):
   * the caller keeps the piece. Everything else is settled here: uploaded, cut at the cap, or counted as lost.
   * `piece.text` loses a start that a resync found had landed already: only the rest is counted or kept.
   */
  private async uploadPiece(piece: Piece): Promise<boolean> {
    if (this.truncated || this.uploads?.aborted || this.refused !== undefined) {
      this.countUnsent(Buffer.byteLength(piece.text));
      return true;
    }
    const { client, runId, jobId, say } = this.options;
    try {
      if (this.wholeLog !== undefined) {
        const whole = this.wholeLog + piece.text;
        await client.replaceLog(runId, jobId, whole, { signal: this.uploads });
        this.wholeLog = whole;
      } else if (this.cap !== undefined && this.logBytes + Buffer.byteLength(piece.text) > this.cap - truncationMarkerRoom(this.cap, piece.stepKey)) {
        // The piece would leave the log too close to the cap for the marker that says what was cut: cut it now.
        await this.appendTruncated(piece, this.cap);
        return true;
      } else {
        const answer = await this.appendNext(piece);
        // No size in the answer: a v2 backend, which stored this chunk as the whole log.
        if (typeof answer.bytes !== "number") this.wholeLog = piece.text;
        else this.logBytes = answer.bytes;
        if (typeof answer.maxBytes === "number") this.cap = answer.maxBytes;
        if (answer.followed !== undefined) this.options.pace.followed = answer.followed;
      }
      if (this.uploadFailure !== undefined) say(`● log upload for ${jobId} resumed: nothing was lost`);
      this.uploadFailure = undefined;
      return true;
    } catch (err) {
      const bytes = Buffer.byteLength(piece.text);
      if (err instanceof BackendError && err.status === 413) {
        // The backend names its cap in the refusal.
        await this.appendTruncated(piece, Number(/(\d+)[- ]byte/.exec(err.message)?.[1]) || this.cap);
        return true;
      }
      if (isRunNotFound(err)) {
        this.options.onRunGone();
        return true;
      }
      if (err instanceof RequestCancelled) {
        this.cancelledBytes += bytes;
        return true;
      }
      if (err instanceof BackendError) {
        // Refused (not out of reach): the rest would be refused too. Logs are best effort: the job goes on.
        this.refused = errorMessage(err);
        this.refusedBytes += bytes;
        say(`! log upload for ${jobId} refused: ${this.refused}; the rest of its output is not uploaded`);
        return true;
      }
      // Out of reach for the whole retry budget: kept, and sent again with the next output or at the job's end.
      if (this.uploadFailure === undefined) say(`! log upload for ${jobId} failed: ${errorMessage(err)}; its output is kept and sent again with what follows`);
      this.uploadFailure = errorMessage(err);
      return false;
    }
  }

  /** Bytes that will not be sent, counted under the reason that holds them back. */
  private countUnsent(bytes: number): void {
    if (this.truncated) this.droppedBytes += bytes;
    else if (this.uploads?.aborted) this.cancelledBytes += bytes;
    else this.refusedBytes += bytes;
  }

  /**
   * Appends at the end of the log as this runner last knew it. An append whose answer never came (the client
   * gave up retrying) may have landed all the same: the backend then refuses the next one as out of order,
   * naming its size — which only this runner's appends made (the job is its own) — and the append goes there.
   * Before, every later append of the job met the same refusal and the rest of its log was lost.
   */
  private async appendNext(piece: Piece): Promise<{ bytes: number; followed?: boolean; maxBytes?: number }> {
    try {
      return await this.append(piece.text, this.logBytes);
    } catch (err) {
      if (!this.resync(err, piece)) throw err;
      if (piece.text === "") return { bytes: this.logBytes };
      return this.append(piece.text, this.logBytes);
    }
  }

  /**
   * An append refused as out of order, naming the log's size: the log's end is taken from it, and what of `piece`
   * landed already is cut from its start. A piece whose upload gave up is sent again at the front of the next
   * (see pump): what of it landed is the start of `piece` — skipped, or it would be in the log twice (and a cut at
   * the cap made from it). A landed append is whole: the cut falls between characters. False: not such a refusal.
   */
  private resync(err: unknown, piece: Piece): boolean {
    const landed = err instanceof BackendError && err.status === 409 ? /has (\d+) bytes, append expected offset \d+/.exec(err.message) : null;
    if (!landed) return false;
    const size = Number(landed[1]);
    const bytes = Buffer.from(piece.text);
    const landedHere = size - this.logBytes;
    this.logBytes = size;
    if (landedHere > 0 && landedHere <= bytes.length) piece.text = bytes.subarray(landedHere).toString("utf8");
    return true;
  }

  private append(content: string, offset: number): Promise<{ bytes: number; followed?: boolean; maxBytes?: number }> {
    const { client, runId, jobId, runnerId, lease } = this.options;
    return client.appendLog(runId, jobId, content, offset, runnerId, { signal: this.uploads, lease });
  }

  /**
   * The step's output would take the log over the backend's cap: upload the part that fits and a one-line marker
   * saying how much was dropped, then stop uploading this job's log. What the backend already holds stays.
   */
  private async appendTruncated(piece: Piece, cap: number | undefined): Promise<void> {
    this.truncated = true;
    // Without the cap, halve until something fits.
    // A refusal of the request's size comes before the offset is judged: the log may be longer than this runner
    // knows (an answer lost), which the first try then learns (resync) — the room is reckoned again from there.
    let room: number | undefined;
    for (let attempt = 0; attempt < 16 && piece.text !== ""; attempt++) {
      const chunk = Buffer.from(piece.text);
      room ??= cap !== undefined ? cap - this.logBytes : Math.floor(chunk.length / 2);
      const cut = truncatedPiece(chunk, room, piece.stepKey, cap);
      if (!cut) break;
      try {
        this.logBytes = (await this.append(cut.text, this.logBytes)).bytes;
        this.droppedBytes += cut.dropped;
        return;
      } catch (err) {
        if (this.resync(err, piece)) {
          room = undefined;
          continue;
        }
        if (!(err instanceof BackendError && err.status === 413)) {
          this.options.say(`! log upload for ${this.options.jobId} failed: ${errorMessage(err)}`);
          break;
        }
        room = Math.floor(room / 2);
      }
    }
    this.droppedBytes += Buffer.byteLength(piece.text);
  }
}

/**
 * The start of `chunk` that fits in `room` bytes together with a marker line
 * saying how much was dropped: cut after a line when one ends close to the
 * limit, else at a character boundary. Undefined when not even the marker fits.
 */
function truncatedPiece(chunk: Buffer, room: number, stepKey: string, cap: number | undefined): { text: string; dropped: number } | undefined {
  const marker = (dropped: number) => truncationMarker(cap, stepKey, dropped);
  // Room for the longest marker, plus a newline ending a cut line.
  const limit = Math.min(room - Buffer.byteLength(marker(chunk.length)) - 1, chunk.length - 1);
  if (limit < 0) return undefined;
  let keep = limit;
  const lineEnd = keep > 0 ? chunk.lastIndexOf(0x0a, keep - 1) : -1;
  if (lineEnd >= 0 && keep - (lineEnd + 1) <= 1024) keep = lineEnd + 1;
  else while (keep > 0 && (chunk[keep]! & 0xc0) === 0x80) keep--;
  const kept = chunk.subarray(0, keep).toString("utf8");
  return { text: `${kept}${keep > 0 && chunk[keep - 1] !== 0x0a ? "\n" : ""}${marker(chunk.length - keep)}`, dropped: chunk.length - keep };
}

function truncationMarker(cap: number | undefined, stepKey: string, dropped: number): string {
  return `[orun] log truncated at the backend's ${cap !== undefined ? `${cap}-byte ` : ""}cap: ${dropped} bytes of step ${stepKey} dropped; later output of this job is not uploaded\n`;
}

/** The bytes the log must keep free below the cap for a truncation marker of `stepKey` (and a newline ending a cut line). */
function truncationMarkerRoom(cap: number, stepKey: string): number {
  return Buffer.byteLength(truncationMarker(cap, stepKey, cap)) + 1;
}

/**
 * The front of `pending` as one request's text: whole pieces while they fit in `maxChars` (at least one), the first
 * one cut when it alone is longer — never between the two halves of a surrogate pair (one character).
 */
function takePiece(pending: Piece[], maxChars: number): Piece {
  const first = pending[0]!;
  if (first.text.length > maxChars) {
    let cut = maxChars;
    const code = first.text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    pending[0] = { stepKey: first.stepKey, text: first.text.slice(cut) };
    return { stepKey: first.stepKey, text: first.text.slice(0, cut) };
  }
  let text = "";
  let taken = 0;
  while (taken < pending.length && (taken === 0 || text.length + pending[taken]!.text.length <= maxChars)) text += pending[taken++]!.text;
  // Named by the last step in it: a cut at the cap drops the request's end.
  const stepKey = pending[taken - 1]!.stepKey;
  pending.splice(0, taken);
  return { stepKey, text };
}

/** Said of an upload the run's stop cut short. */
export function cancelledUpload(): string {
  return `canceled (the backend did not take it within ${formatDuration(CANCEL_GRACE_MS)} of the stop)`;
}
