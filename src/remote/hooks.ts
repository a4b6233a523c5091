// Remote state as execution hooks (src/runtime/hooks.ts): before a job runs,
// claim it from the backend — waiting (long-poll) while its dependencies or
// another runner's attempt are unfinished; while it runs, heartbeat and
// append each step's output to the job's remote log (up to the backend's
// cap); afterwards, report the outcome. A job it holds but may not run
// (approval, a gate) is reported failed so its dependents end and their
// runners stop; jobs it never claimed are left to the run's other runners.
// Messages follow v2 (40-remote-state.md §4.5).
import type { Plan, PlanJob, PromotionGate } from "../model/plan.js";
import { canonicalJobId } from "../model/plan.js";
import type { BeforeJobDecision, ExecutionHooks } from "../runtime/hooks.js";
import { OrunError, errorMessage } from "../util/errors.js";
import { BackendError, RUN_GONE_CAUSE, RequestCancelled, isRunNotFound as isRunGone, type BackendClient } from "./client.js";
import { backendPlan } from "./plan-payload.js";
import { JOB_HANDED_ON } from "../runners/runner.js";
import { formatDuration } from "../runtime/duration.js";
import { orderSteps, stepKeys } from "../runtime/steps.js";

export interface RemoteHooksOptions {
  client: BackendClient;
  plan: Plan;
  runId: string;
  runnerId: string;
  /**
   * `job`: one `--job` per process; the backend alone decides readiness.
   * `plan`: whole plan or `--env` slice; local order as usual, the backend
   * decides who runs each job.
   */
  mode: "job" | "plan";
  /** Longest wait for dependencies or another runner (v2: 30 min). */
  waitTimeoutMs?: number;
  /** How long one long-poll is held by the server. */
  longPollMs?: number;
  triggerType?: string;
  actor?: string;
  /** Progress messages (stderr by default, so --json stdout stays clean). */
  say?: (line: string) => void;
  /** How long a running step's whole lines wait before upload (see LIVE_FLUSH_MS, IDLE_FLUSH_MS; tests shorten them). */
  liveFlushMs?: { followed?: number; idle?: number };
}

interface ActiveJob {
  timer: NodeJS.Timeout;
  /** Bytes of the job's log the backend holds (the next append's offset). */
  logBytes: number;
  /** The log reached the backend's cap: nothing more is uploaded; `droppedBytes` counts what was not. */
  truncated: boolean;
  droppedBytes: number;
  /**
   * The log's text waiting for upload, in order, each piece with the step it is of. One upload is in flight per job
   * (`pumping`; offsets must be sequential): what arrives meanwhile waits here and goes in the next request, so a
   * backend slower than the steps gets fewer, larger appends. A piece whose upload gave up (the backend out of
   * reach for the client's whole retry budget) goes back to the front: sent again with the next output, or at
   * the job's end — never dropped in silence.
   */
  pending: { stepKey: string; text: string }[];
  pumping?: Promise<void>;
  /** Why the last upload gave up while what it carried is still pending (said once per outage). */
  uploadFailure?: string;
  /** Bytes the run's stop (Ctrl-C, SIGTERM) kept from the backend: said once, at the job's end. */
  cancelledBytes: number;
  /**
   * The backend refused an upload (not out of reach: the job handed to another runner, say): sending more would be
   * refused too, so the rest of the job's output is counted, not sent, and the refusal is said once.
   */
  logRefused?: string;
  /** Bytes not uploaded because of `logRefused`. */
  refusedBytes: number;
  /** Output of the job's steps as it streams in, not uploaded yet (see onStepOutput). */
  streams: Map<string, StepStream>;
  /** Bytes pending or in flight: bounds what a backend slower than the steps costs in memory. */
  queuedBytes: number;
  /**
   * The job's whole log so far, kept only against a v2 backend: it replaces the log on every upload and
   * answers without a size, so each step uploads everything (v2's own way) instead of appending.
   */
  wholeLog?: string;
  /** The backend handed the job to another runner (our lease expired). */
  superseded: boolean;
  /** The backend no longer has the run (retention deleted it, or its database was reset): nothing can be recorded. */
  runGone?: boolean;
  /** Stops the job here, saying why (once). */
  supersede(why: string): void;
  /** Aborted when superseded: the executor stops the job's steps. */
  stop: AbortController;
  /** Keys of the steps that failed (whether the job's failure is only `onFailure: continue` ones). */
  failedSteps: Set<string>;
  /** The run's stop signal as beforeJob got it: aborted without a reason of its own by Ctrl-C or SIGTERM. */
  runSignal?: AbortSignal;
  /** Aborts CANCEL_GRACE_MS after the run's stop: log uploads and the result report give up then. */
  uploads?: AbortSignal;
  /** Aborted when the job has ended here: a heartbeat still retrying stops. */
  ended: AbortController;
}

/** A step's streamed output: `text` waits for upload; `started` once its `=== step ===` header went. */
interface StepStream {
  text: string;
  started: boolean;
  /** The last text queued for upload ended a line (a section ends with one). */
  endsLine: boolean;
  /** Bytes dropped since the last piece queued (a backend slower than the step): said in the next one. */
  dropped: number;
  /** Uploads the whole lines waiting LIVE_FLUSH_MS after output arrived (set while some wait). */
  timer?: NodeJS.Timeout;
}

/**
 * A step's output is uploaded as it streams, in pieces of about this size (and the rest when it ends): the
 * whole of it reaches the backend, up to the backend's cap, and no more than this waits in memory per step.
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
const CANCEL_GRACE_MS = 5_000;

export class RemoteHooks implements ExecutionHooks {
  readonly managesDependencies: boolean;
  /** The backend's claim waits for dependencies that other runners execute. */
  readonly awaitsExternalDependencies = true;
  private run?: Promise<void>;
  private readonly active = new Map<string, ActiveJob>();
  /** Not-run reports, one after another in the order the executor gave them (a job before its dependents). */
  private reports: Promise<void> = Promise.resolve();
  private readonly say: (line: string) => void;
  /** The backend answered /v1/evidence with 404 (v2 has no such API): every gate blocks. */
  private noEvidenceApi = false;
  /** The plan's ID (short checksum), as `orun run <plan-id>` names it: re-run commands name the same plan. */
  private planId = "";
  /** Why the run stopped (a claim answered `stop`: a failFast run had a failure): no job starts here any more. */
  private stopped?: string;
  /** The backend created or joined the run (ensureRun answered). */
  private registered = false;
  /** Someone follows the run's logs, as the backend's last append answer said: running steps' lines go up every LIVE_FLUSH_MS. */
  private followed = false;
  /**
   * The run's stop as the last admission got it: a gate query follows its job's admission, and ends with it when
   * the runtime passes no signal of its own.
   */
  private runSignal?: AbortSignal;

  constructor(private readonly options: RemoteHooksOptions) {
    this.managesDependencies = options.mode === "job";
    this.say = options.say ?? ((line) => void process.stderr.write(`${line}\n`));
  }

  /**
   * Creates the run, or joins it when another runner already did (same plan checksum). `signal` (the run's stop,
   * as the first job's admission got it) ends the attempt, retries included.
   */
  ensureRun(signal?: AbortSignal): Promise<void> {
    this.run ??= (async () => {
      const { client, plan, runId } = this.options;
      const payload = backendPlan(plan);
      this.planId = payload.checksum;
      const created = await client.createRun({ plan: payload, runId, triggerType: this.options.triggerType, actor: this.options.actor }, { signal });
      this.registered = true;
      // This backend confirms the run stops on every runner; v2 has no such thing: say what a failure here stops.
      // An answer without failFast proves nothing: orun backends from before it was answered stop the run too.
      if (payload.failFast && created.failFast !== true) {
        const stopsOnlyHere = "a job failing on this runner stops only this runner, and the run's other runners keep starting jobs";
        this.say(
          created.failFast === false
            ? `! fail-fast: the backend at ${client.baseUrl} does not stop remote run ${runId} across runners; ${stopsOnlyHere}`
            : `! fail-fast: the backend at ${client.baseUrl} cannot confirm that it stops remote run ${runId} across runners (a v2 backend does not, an orun backend from before it said so does); if it does not, ${stopsOnlyHere}`,
        );
      }
    })();
    return this.run;
  }

  async beforeJob(job: PlanJob, signal: AbortSignal): Promise<BeforeJobDecision> {
    const id = canonicalJobId(job.id);
    this.runSignal = signal;
    try {
      await this.ensureRun(signal);
      if (this.stopped) return { action: "skipped", reason: this.stopped };
      return await this.admit(id, signal);
    } catch (err) {
      if (!signal.aborted) throw err;
      // Stopped while waiting — Ctrl-C (the run ends as cancelled, exit 130) or this run's fail-fast (the
      // executor's admission signal carries the reason): the job is not run here and stays for other runners.
      const waited = this.registered ? "dependencies" : `the backend at ${this.options.client.baseUrl}`;
      const reason = typeof signal.reason === "string" ? signal.reason : `cancelled while waiting for ${waited}`;
      this.say(`✕ job ${id}: ${reason}`);
      return { action: "skipped", reason };
    }
  }

  private async admit(id: string, signal: AbortSignal): Promise<BeforeJobDecision> {
    const { client, runId, runnerId } = this.options;
    const waitTimeoutMs = this.options.waitTimeoutMs ?? 30 * 60_000;
    const deadline = Date.now() + waitTimeoutMs;
    let announced = "";
    const announcedAbandoned = new Set<string>();
    let pollDelay = 500;
    for (;;) {
      if (signal.aborted) throw new OrunError("cancelled");
      const claim = await client.claim(runId, id, runnerId, { signal }).catch((err: unknown) => this.runGone(err, id));
      if (claim.claimed) {
        if (claim.takeover) this.say(`↻ taking over job ${id} from a previous runner`);
        // Claimed while this runner was being stopped (fail-fast): it is this runner's now, and nobody else may run it.
        if (signal.aborted) this.say(`● job ${id} was claimed just before this runner stopped starting jobs; running it`);
        const entry = this.startHeartbeat(id, claim.leaseMs ?? 120_000);
        entry.runSignal = signal;
        entry.uploads = graceAfter(signal, CANCEL_GRACE_MS);
        return { action: "run", stop: entry.stop.signal };
      }
      if (claim.currentStatus === "success") {
        this.say(`✓ job ${id} already completed by another runner`);
        return { action: "skip", reason: "already completed by another runner" };
      }
      if (claim.stop) {
        // The run's fail-fast: said once; the jobs this runner has not started yet are skipped without asking.
        const failed = /fail-fast after (\S+) failed/.exec(claim.reason ?? "")?.[1];
        this.stopped = `not started: fail-fast after ${failed ?? "a job"} failed`;
        this.say(`✕ remote run ${runId} stopped: its plan is failFast and ${failed ?? "a job"} failed; job ${id} and any others not started here will not run`);
        return { action: "skipped", reason: this.stopped };
      }
      if (claim.depsBlocked || claim.currentStatus === "skipped") {
        const reason = `upstream dependencies are blocked or failed (${claim.reason ?? "an upstream job failed"})`;
        this.say(`✕ job ${id} will not run: ${reason}`);
        return { action: "skipped", reason };
      }
      if (claim.currentStatus === "failed") {
        const reason = `already failed on another runner${claim.reason ? `: ${claim.reason}` : ""}`;
        this.say(`✕ job ${id} ${reason}`);
        return { action: "skipped", reason };
      }
      const message = claim.depsWaiting ? `○ waiting for dependencies of ${id}...` : `● job ${id} is running on another runner, waiting...`;
      if (message !== announced) this.say(message);
      announced = message;
      // A dependency whose runner died stays pending until some runner claims it: say so (once each), or this
      // looks like any wait.
      for (const dep of claim.depsAbandoned ?? []) {
        if (announcedAbandoned.has(dep)) continue;
        announcedAbandoned.add(dep);
        this.say(`! ${dep}: its runner stopped (lease expired) and no runner has taken it over; re-run it in this run: orun run ${this.planId} --job ${dep} --exec-id ${runId} --remote-state`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new OrunError(`dependency wait timeout (${formatDuration(waitTimeoutMs)}) exceeded for ${id}${claim.reason ? `: ${claim.reason}` : ""}`);
      }
      const res = await client.runnable(runId, { job: id, waitMs: Math.min(this.options.longPollMs ?? 25_000, left), signal }).catch((err: unknown) => this.runGone(err, id));
      // A backend without long-poll (v2) answers at once and says nothing
      // about the job: poll it with back-off instead of hammering it.
      if (!res.job && !res.jobs.includes(id)) {
        await sleep(Math.min(pollDelay, Math.max(0, deadline - Date.now())), signal);
        pollDelay = Math.min(pollDelay * 2, 15_000);
      }
    }
  }

  /** Rethrows `err`; a run the backend no longer has (created or joined before this wait began) is said as such. */
  private runGone(err: unknown, jobId: string, doing: "waited" | "ran" = "waited"): never {
    if (isRunGone(err)) throw this.goneError(jobId, doing);
    throw err;
  }

  private goneError(jobId: string, doing: "waited" | "ran"): OrunError {
    const { runId, client } = this.options;
    return new OrunError(
      `remote run ${runId} is gone from the backend at ${client.baseUrl} while job ${jobId} ${doing}: ${RUN_GONE_CAUSE}${doing === "ran" ? "; the job's result could not be recorded" : ""}`,
      { hint: "start the run again under a new --exec-id" },
    );
  }

  private startHeartbeat(jobId: string, leaseMs: number): ActiveJob {
    const { client, runId, runnerId } = this.options;
    const interval = Math.max(50, Math.floor(leaseMs / 4));
    const entry: ActiveJob = {
      logBytes: 0,
      truncated: false,
      droppedBytes: 0,
      pending: [],
      cancelledBytes: 0,
      refusedBytes: 0,
      streams: new Map(),
      queuedBytes: 0,
      superseded: false,
      supersede: (why) => supersede(why),
      stop: new AbortController(),
      ended: new AbortController(),
      failedSteps: new Set(),
      // A quarter of the lease leaves room for a couple of lost beats.
      timer: setInterval(() => {
        const sent = Date.now();
        // A late tick means this process itself was stalled (suspended, overloaded): ask the backend first — it
        // may give the job back. Ticks on time without answers for most of the lease mean the backend is out of
        // reach and may hand the job on within one more beat: stop it here rather than risk running it twice.
        const late = sent - lastTick > interval * 1.5;
        lastTick = sent;
        // After a stall the lease is judged from this tick's question: its answer may take a beat or two.
        if (late) since = Math.max(since, sent);
        if (!late && sent - Math.max(lastBeat, since) > leaseMs - interval) return supersede(`no heartbeat reached the backend within its lease (${Math.round(leaseMs / 1000)}s)`);
        client.heartbeat(runId, jobId, runnerId, { budgetMs: interval, signal: entry.ended.signal }).then(
          (res) => {
            if (res.abort) return supersede("the backend handed this job to another runner (lease expired)");
            lastBeat = Math.max(lastBeat, sent);
          },
          (err) => {
            if (err instanceof RequestCancelled) return;
            // Nowhere to report to: stop the job now rather than run it to a result nobody can record.
            if (isRunGone(err)) return goneWhileRunning();
            this.say(`! heartbeat for ${jobId} failed: ${errorMessage(err)}`);
          },
        );
      }, interval),
    };
    let lastBeat = Date.now();
    let lastTick = lastBeat;
    let since = lastBeat;
    const goneWhileRunning = (): void => {
      entry.runGone = true;
      supersede(`remote run ${runId} is gone from the backend (deleted by its retention, or its database was reset)`);
    };
    const supersede = (why: string): void => {
      if (entry.superseded) return;
      entry.superseded = true;
      // Another runner may run it now: this one stops the job instead of running it a second time.
      this.say(`! job ${jobId}: ${why}; stopping it here`);
      entry.stop.abort(JOB_HANDED_ON);
    };
    entry.timer.unref();
    this.active.set(jobId, entry);
    return entry;
  }

  /** Output as the step writes it: queued, and uploaded in STREAM_PIECE_CHARS pieces. */
  onStepOutput(job: PlanJob, stepKey: string, chunk: string): void {
    const id = canonicalJobId(job.id);
    const entry = this.active.get(id);
    if (!entry || chunk === "") return;
    let stream = entry.streams.get(stepKey);
    if (!stream) entry.streams.set(stepKey, (stream = { text: "", started: false, endsLine: true, dropped: 0 }));
    if (entry.truncated) {
      entry.droppedBytes += Buffer.byteLength(chunk);
      return;
    }
    stream.text += chunk;
    if (stream.text.length >= STREAM_PIECE_CHARS) this.flushStream(entry, id, stepKey, stream, false);
    else stream.timer ??= setTimeout(() => this.flushLines(entry, id, stepKey, stream), this.liveFlushDelay(stream)).unref();
  }

  /** A step's first lines, and every line while someone follows, go up soon; otherwise at the idle pace. */
  private liveFlushDelay(stream: StepStream): number {
    const { followed = LIVE_FLUSH_MS, idle = IDLE_FLUSH_MS } = this.options.liveFlushMs ?? {};
    return !stream.started || this.followed ? followed : idle;
  }

  /** The whole lines `stream` holds, uploaded while the step still runs (the rest waits for its line's end). */
  private flushLines(entry: ActiveJob, id: string, stepKey: string, stream: StepStream): void {
    stream.timer = undefined;
    if (this.active.get(id) !== entry || entry.streams.get(stepKey) !== stream) return;
    const cut = stream.text.lastIndexOf("\n") + 1;
    if (cut === 0 || (!stream.started && stream.text.slice(0, cut).trim() === "")) return;
    const rest = stream.text.slice(cut);
    stream.text = stream.text.slice(0, cut);
    this.flushStream(entry, id, stepKey, stream, false);
    stream.text = rest;
  }

  /** The step runs again: the output that follows is the next attempt's, marked as in the local step log. */
  onStepRetry(job: PlanJob, stepKey: string, attempt: number, attempts: number): void {
    const stream = this.active.get(canonicalJobId(job.id))?.streams.get(stepKey);
    if (stream && (stream.started || stream.text !== "")) this.onStepOutput(job, stepKey, `\n↻ retry ${attempt}/${attempts}\n`);
  }

  /**
   * Queues what `stream` holds for upload: under the step's header the first time, ending its section on the
   * step's last piece. A step whose output is only whitespace uploads nothing (v2 skips it too).
   */
  private flushStream(entry: ActiveJob, id: string, stepKey: string, stream: StepStream, last: boolean): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    let text = stream.text;
    stream.text = "";
    if (!stream.started && last && text.trim() === "" && stream.dropped === 0) return;
    const header = stream.started ? "" : `=== ${stepKey} ===\n`;
    if (last && !(text === "" ? header !== "" || stream.endsLine : text.endsWith("\n"))) text += "\n";
    if (entry.queuedBytes + Buffer.byteLength(header + text) > MAX_QUEUED_BYTES) {
      // The backend takes the log more slowly than the steps write it: the piece is dropped, and the next piece
      // queued (or the step's end) says how much is missing there.
      const dropped = Buffer.byteLength(text);
      entry.droppedBytes += dropped;
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
    void this.queueUpload(entry, id, stepKey, text);
  }

  onStepFinished(job: PlanJob, stepKey: string, output: string, failed = false): Promise<void> {
    const id = canonicalJobId(job.id);
    const entry = this.active.get(id);
    if (failed) entry?.failedSteps.add(stepKey);
    if (!entry) return Promise.resolve();
    const stream = entry.streams.get(stepKey);
    entry.streams.delete(stepKey);
    if (stream) {
      this.flushStream(entry, id, stepKey, stream, true);
      return entry.pumping ?? Promise.resolve();
    }
    // A runner that streamed nothing: its result's output is the step's log.
    if (output.trim() === "") return Promise.resolve();
    return this.queueUpload(entry, id, stepKey, `=== ${stepKey} ===\n${output}${output.endsWith("\n") ? "" : "\n"}`);
  }

  /** Appends `chunk` to the job's remote log after what is pending before it; resolves when the upload in flight ends. */
  private queueUpload(entry: ActiveJob, id: string, stepKey: string, chunk: string): Promise<void> {
    if (entry.truncated) {
      entry.droppedBytes += Buffer.byteLength(chunk);
      return Promise.resolve();
    }
    entry.queuedBytes += Buffer.byteLength(chunk);
    entry.pending.push({ stepKey, text: chunk });
    return this.pump(entry, id);
  }

  /** Uploads what is pending, a request at a time, until none is left or an upload gives up (kept for later). */
  private pump(entry: ActiveJob, id: string): Promise<void> {
    entry.pumping ??= (async () => {
      while (entry.pending.length > 0) {
        const piece = takePiece(entry.pending, STREAM_PIECE_CHARS);
        const bytes = Buffer.byteLength(piece.text);
        const sent = await this.uploadPiece(entry, id, piece);
        if (!sent) {
          entry.pending.unshift(piece);
          return;
        }
        entry.queuedBytes -= bytes;
      }
    })().finally(() => (entry.pumping = undefined));
    return entry.pumping;
  }

  /**
   * One request of the job's log. False when it gave up and trying again later may work (the backend out of reach):
   * the caller keeps the piece. Everything else is settled here: uploaded, cut at the cap, or counted as lost.
   */
  private async uploadPiece(entry: ActiveJob, id: string, piece: { stepKey: string; text: string }): Promise<boolean> {
    if (entry.truncated) {
      entry.droppedBytes += Buffer.byteLength(piece.text);
      return true;
    }
    if (entry.uploads?.aborted) {
      entry.cancelledBytes += Buffer.byteLength(piece.text);
      return true;
    }
    if (entry.logRefused !== undefined) {
      entry.refusedBytes += Buffer.byteLength(piece.text);
      return true;
    }
    try {
      if (entry.wholeLog !== undefined) {
        const whole = entry.wholeLog + piece.text;
        await this.options.client.replaceLog(this.options.runId, id, whole, { signal: entry.uploads });
        entry.wholeLog = whole;
      } else {
        const { bytes, followed } = await this.appendNext(entry, id, piece.text);
        // No size in the answer: a v2 backend, which stored this chunk as the whole log.
        if (typeof bytes !== "number") entry.wholeLog = piece.text;
        else entry.logBytes = bytes;
        if (followed !== undefined) this.followed = followed;
      }
      if (entry.uploadFailure !== undefined) this.say(`● log upload for ${id} resumed: nothing was lost`);
      entry.uploadFailure = undefined;
      return true;
    } catch (err) {
      if (err instanceof BackendError && err.status === 413) {
        await this.appendTruncated(entry, id, piece.stepKey, Buffer.from(piece.text), err);
        return true;
      }
      if (isRunGone(err)) {
        entry.runGone = true;
        entry.supersede(`remote run ${this.options.runId} is gone from the backend (deleted by its retention, or its database was reset)`);
        return true;
      }
      if (err instanceof RequestCancelled) {
        entry.cancelledBytes += Buffer.byteLength(piece.text);
        return true;
      }
      if (err instanceof BackendError) {
        // Refused (not out of reach): the rest would be refused too. Logs are best effort: the job goes on.
        entry.logRefused = errorMessage(err);
        entry.refusedBytes += Buffer.byteLength(piece.text);
        this.say(`! log upload for ${id} refused: ${entry.logRefused}; the rest of its output is not uploaded`);
        return true;
      }
      // Out of reach for the whole retry budget: kept, and sent again with the next output or at the job's end.
      if (entry.uploadFailure === undefined) this.say(`! log upload for ${id} failed: ${errorMessage(err)}; its output is kept and sent again with what follows`);
      entry.uploadFailure = errorMessage(err);
      return false;
    }
  }

  /**
   * At the job's end: the upload in flight, then one more try at what an outage left pending. What still could not
   * be sent is counted and said, with the run's stop's share (the local execution record has all of it).
   */
  private async finishLog(entry: ActiveJob, id: string): Promise<void> {
    await entry.pumping;
    if (entry.pending.length > 0) await this.pump(entry, id);
    const unsent = entry.pending.reduce((sum, piece) => sum + Buffer.byteLength(piece.text), 0);
    entry.pending = [];
    if (unsent > 0) this.say(`! log of ${id}: ${unsent} bytes not uploaded (${entry.uploadFailure ?? "the backend did not answer"}); the local execution record has all of it`);
    if (entry.cancelledBytes > 0) this.say(`! log of ${id}: ${entry.cancelledBytes} bytes not uploaded: ${cancelledUpload()}`);
    if (entry.refusedBytes > 0) this.say(`! log of ${id}: ${entry.refusedBytes} bytes not uploaded (refused: ${entry.logRefused}); the local execution record has all of it`);
  }

  /**
   * Appends at the end of the log as this runner last knew it. An append whose answer never came (the client
   * gave up retrying) may have landed all the same: the backend then refuses the next one as out of order,
   * naming its size — which only this runner's appends made (the job is its own) — and the append goes there.
   * Before, every later append of the job met the same refusal and the rest of its log was lost.
   */
  private async appendNext(entry: ActiveJob, jobId: string, content: string): Promise<{ bytes: number; followed?: boolean }> {
    try {
      return await this.append(entry, jobId, content, entry.logBytes);
    } catch (err) {
      const landed = err instanceof BackendError && err.status === 409 ? /has (\d+) bytes, append expected offset \d+/.exec(err.message) : null;
      if (!landed) throw err;
      const size = Number(landed[1]);
      // A piece whose upload gave up is sent again at the front of `content` (see pump): what of it landed is
      // the start of `content` — skipped, or it would be in the log twice. (A landed append is whole: the cut
      // falls between characters.)
      const bytes = Buffer.from(content);
      const landedHere = size - entry.logBytes;
      entry.logBytes = size;
      if (landedHere > 0 && landedHere <= bytes.length) {
        if (landedHere === bytes.length) return { bytes: size };
        content = bytes.subarray(landedHere).toString("utf8");
      }
      return this.append(entry, jobId, content, entry.logBytes);
    }
  }

  private append(entry: ActiveJob, jobId: string, content: string, offset: number): Promise<{ bytes: number; followed?: boolean }> {
    const { client, runId, runnerId } = this.options;
    return client.appendLog(runId, jobId, content, offset, runnerId, { signal: entry.uploads });
  }

  /**
   * The step's output would take the job's log over the backend's cap: upload
   * the part that fits and a one-line marker saying how much was dropped, then
   * stop uploading this job's log. What the backend already holds stays.
   */
  private async appendTruncated(entry: ActiveJob, jobId: string, stepKey: string, chunk: Buffer, refusal: BackendError): Promise<void> {
    entry.truncated = true;
    // The backend names its cap in the refusal; without it, halve until something fits.
    const cap = Number(/(\d+)[- ]byte/.exec(refusal.message)?.[1]) || undefined;
    let room = cap !== undefined ? cap - entry.logBytes : Math.floor(chunk.length / 2);
    for (let attempt = 0; attempt < 16; attempt++) {
      const piece = truncatedPiece(chunk, room, stepKey, cap);
      if (!piece) break;
      try {
        entry.logBytes = (await this.append(entry, jobId, piece.text, entry.logBytes)).bytes;
        entry.droppedBytes += piece.dropped;
        return;
      } catch (err) {
        if (!(err instanceof BackendError && err.status === 413)) {
          this.say(`! log upload for ${jobId} failed: ${errorMessage(err)}`);
          break;
        }
        room = Math.floor(room / 2);
      }
    }
    entry.droppedBytes += chunk.length;
  }

  async afterJob(job: PlanJob, result: { status: "completed" | "failed"; error?: string }): Promise<void> {
    const id = canonicalJobId(job.id);
    const entry = this.active.get(id);
    if (!entry) return;
    clearInterval(entry.timer);
    entry.ended.abort();
    await this.finishLog(entry, id);
    this.active.delete(id);
    if (entry.truncated) this.say(`! log of ${id} truncated at the backend's size cap: ${entry.droppedBytes} bytes not uploaded (the local execution record has all of it)`);
    const { runnerId } = this.options;
    if (entry.runGone) throw this.goneError(id, "ran");
    if (entry.superseded && result.status === "failed") {
      // Stopped here because contact was lost (or the job was handed on): not a failure of its work, which must
      // not fail the job or stop a failFast run. Left unreported, its lease runs out and the backend releases it,
      // as for a runner that died; runners waiting for it are told how to run it again.
      this.say(`! ${id} not reported: this runner stopped it without a verdict; the backend releases it when its lease runs out`);
      return;
    }
    try {
      // A job cancelled here (Ctrl-C, SIGTERM) is no failure of its work: it stops only this runner, not the run.
      const tolerated = result.status === "failed" && (failedOnlyTolerably(job, entry.failedSteps, result.error) || cancelledHere(entry.runSignal));
      await this.report(id, { runnerId, status: result.status === "completed" ? "success" : "failed", ...(result.error ? { error: result.error } : {}), ...(tolerated ? { tolerated } : {}) }, entry.uploads);
    } catch (err) {
      // Stopped here and the backend did not take the result in time: its lease runs out and the backend releases it.
      if (err instanceof RequestCancelled) return this.say(`! result of ${id} not recorded: ${cancelledUpload()}; the backend releases the job when its lease runs out`);
      // Refused because the job is no longer this runner's (handed on before a heartbeat could tell us): the
      // other runner's result counts. Anything else is a real failure of this run.
      if (isRunGone(err)) throw this.goneError(id, "ran");
      if (!entry.superseded && !(err instanceof BackendError && err.status >= 400 && err.status < 500 && /does not own|not running/i.test(err.message))) throw err;
      this.say(`! result of ${id} not recorded: ${errorMessage(err)}`);
    }
  }

  /**
   * Reports a job's outcome. The client repeats a request whose answer was lost; a v2 backend refuses the
   * repeat of an update that landed ("Job is not running (current: failed)": its update is not idempotent).
   * The job then reads as this runner's with this status, and the outcome counts as recorded.
   */
  private async report(jobId: string, body: { runnerId: string; status: "success" | "failed"; error?: string; tolerated?: boolean }, signal?: AbortSignal): Promise<void> {
    const { client, runId } = this.options;
    try {
      await client.update(runId, jobId, body, { signal });
    } catch (err) {
      if (!(err instanceof BackendError && err.status === 400 && /not running/i.test(err.message))) throw err;
      const job = await client.jobStatus(runId, jobId).catch(() => undefined);
      if (job?.status !== body.status || job.runnerId !== body.runnerId) throw err;
    }
  }

  /**
   * A job this runner will not run. One it holds (claimed, then blocked by approval or a gate) is
   * reported `failed` ("blocked: …"), so its dependents become `skipped` and their runners stop
   * waiting. A job it never claimed — not started because of fail-fast or Ctrl-C — is left pending
   * for the other runners of the run: this runner's stop is not theirs to share.
   */
  onJobNotRun(job: PlanJob, status: "skipped" | "blocked", reason: string): void {
    const id = canonicalJobId(job.id);
    // Only a held job is this runner's to report (one the backend settled or another runner holds is never active here).
    if (status !== "blocked" || !this.active.has(id)) return;
    this.reports = this.reports
      .then(() => this.reportBlocked(id, reason))
      .catch((err: unknown) => this.say(`! could not report ${id} as blocked to the backend: ${errorMessage(err)}`));
  }

  private async reportBlocked(id: string, reason: string): Promise<void> {
    const entry = this.active.get(id);
    if (!entry) return;
    clearInterval(entry.timer);
    entry.ended.abort();
    await this.finishLog(entry, id);
    this.active.delete(id);
    const { runId, runnerId } = this.options;
    if (cancelledHere(entry.runSignal)) {
      // Ctrl-C while its admission (a gate query) was still being decided: canceled on this runner, as a job
      // canceled while it runs is, and no verdict of the gate's.
      await this.report(id, { runnerId, status: "failed", error: `canceled on its runner before it started (${reason})`, tolerated: true }, entry.uploads);
      this.say(`! job ${id} is recorded as canceled (failed) in remote run ${runId}: this runner was stopped before it started`);
      return;
    }
    // A blocked job does not trip fail-fast (as in a local run): only its dependents are skipped.
    await this.report(id, { runnerId, status: "failed", error: `blocked: ${reason}`, tolerated: true }, entry.uploads);
    this.say(`! job ${id} is recorded as failed in remote run ${runId} (blocked), so its dependents are skipped; to run it, start a new run (another --exec-id) once it may run`);
  }

  /**
   * Promotion-gate evidence from the backend: any run of this repository at the same revision. A backend
   * without the evidence API (v2: 404) records none, so the gate blocks its job (decision 8) — said once,
   * with the reason, instead of failing the whole run on the 404. The run's stop ends the query (and its
   * retries against an overloaded backend) at once, rejecting with RequestCancelled (an AbortError).
   */
  async gateSatisfied(gate: PromotionGate, revision: string, signal: AbortSignal | undefined = this.runSignal): Promise<boolean> {
    if (this.noEvidenceApi) return false;
    try {
      const res = await this.options.client.evidence({ component: gate.component, environment: gate.environment, revision }, { signal });
      return res.satisfied;
    } catch (err) {
      if (!(err instanceof BackendError && err.status === 404)) throw err;
      this.noEvidenceApi = true;
      this.say(
        `! promotion gates: the backend at ${this.options.client.baseUrl} keeps no promotion-gate evidence (GET /v1/evidence: ${err.message}; a v2 backend?), so jobs with a gate are blocked in this run; run them against an orun backend (orun backend serve), which records the evidence`,
      );
      return false;
    }
  }

  async close(): Promise<void> {
    await this.reports;
    for (const entry of this.active.values()) {
      clearInterval(entry.timer);
      entry.ended.abort();
    }
    this.active.clear();
  }
}

/** The runner itself was stopped (Ctrl-C, SIGTERM: an abort without a reason); fail-fast aborts admission with its reason. */
function cancelledHere(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (signal.reason as { name?: unknown } | undefined)?.name === "AbortError";
}

/**
 * A failed job whose failure does not trip fail-fast, as the executor judges it: every step that failed is an
 * `onFailure: continue` one, and the error reported is one of theirs (a start, finalizer or cancel error is not).
 */
function failedOnlyTolerably(job: PlanJob, failedSteps: ReadonlySet<string>, error: string | undefined): boolean {
  if (failedSteps.size === 0 || error === undefined) return false;
  const steps = orderSteps(job.steps);
  const continuing = new Set(stepKeys(steps).filter((key, i) => (steps[i]!.onFailure ?? "").trim().toLowerCase() === "continue"));
  return [...failedSteps].every((key) => continuing.has(key)) && [...continuing].some((key) => failedSteps.has(key) && error.startsWith(`step ${key}: `));
}

/**
 * The start of `chunk` that fits in `room` bytes together with a marker line
 * saying how much was dropped: cut after a line when one ends close to the
 * limit, else at a character boundary. Undefined when not even the marker fits.
 */
function truncatedPiece(chunk: Buffer, room: number, stepKey: string, cap: number | undefined): { text: string; dropped: number } | undefined {
  const marker = (dropped: number) =>
    `[orun] log truncated at the backend's ${cap !== undefined ? `${cap}-byte ` : ""}cap: ${dropped} bytes of step ${stepKey} dropped; later output of this job is not uploaded\n`;
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

/**
 * The front of `pending` as one request's text: whole pieces while they fit in `maxChars` (at least one), the first
 * one cut when it alone is longer — never between the two halves of a surrogate pair (one character).
 */
function takePiece(pending: { stepKey: string; text: string }[], maxChars: number): { stepKey: string; text: string } {
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
  pending.splice(0, taken);
  return { stepKey: first.stepKey, text };
}

/** Said of an upload the run's stop cut short. */
function cancelledUpload(): string {
  return `canceled (the backend did not take it within ${formatDuration(CANCEL_GRACE_MS)} of the stop)`;
}

/** A signal that aborts `ms` after `signal` does (its timer does not keep the process alive). */
function graceAfter(signal: AbortSignal, ms: number): AbortSignal {
  const grace = new AbortController();
  const arm = () => setTimeout(() => grace.abort(), ms).unref();
  if (signal.aborted) arm();
  else signal.addEventListener("abort", arm, { once: true });
  return grace.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
