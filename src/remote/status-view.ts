// `orun status --remote-state` and `orun logs --remote-state` output, built
// from the backend's run and jobs (40-remote-state.md §4.9, §4.10).
import { MAX_NO_EVIDENCE_REASON_CHARS, knownNoEvidenceCause, type JobView, type NoEvidence, type RunView } from "./protocol.js";
import { printable } from "../util/printable.js";
import { shellWord } from "../util/shell-word.js";
import { remoteRunWords } from "../runtime/plan-reference.js";
import { describedError } from "../runtime/output/failure-text.js";

const ICON: Record<string, string> = { success: "✓", running: "●", pending: "○", failed: "✗", skipped: "⊘" };

/** v2's status vocabulary: a successful job reads `completed`. */
function cliJobStatus(status: string): string {
  return status === "success" ? "completed" : status;
}

/** `planName`: the run's plan's name when this machine stores the plan (the backend names it by ID only). */
export function statusJson(run: RunView, jobs: JobView[], planName?: string): string {
  const state = {
    execId: run.runId,
    planChecksum: run.planChecksum,
    jobs: Object.fromEntries(
      jobs.map((j) => [
        j.jobId,
        {
          status: cliJobStatus(j.status),
          ...(j.startedAt ? { startedAt: j.startedAt } : {}),
          ...(j.finishedAt ? { finishedAt: j.finishedAt } : {}),
          ...(j.heartbeatAt ? { heartbeatAt: j.heartbeatAt } : {}),
          ...(j.runnerId ? { runnerId: j.runnerId } : {}),
          ...(heldWithoutLease(j) ? { noLeaseSecret: true } : {}),
          steps: {},
          ...(j.lastError ? { lastError: j.lastError } : {}),
          ...(j.runAttempt ? { runAttempt: j.runAttempt } : {}),
          ...(j.retries ? { retries: j.retries } : {}),
          ...(noEvidenceOf(j) ? { noPromotionEvidence: noEvidenceOf(j) } : {}),
        },
      ]),
    ),
  };
  const meta = {
    execId: run.runId,
    planId: run.planChecksum,
    planName: planName ?? "",
    startedAt: run.createdAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    status: run.status,
    trigger: run.triggerType,
    user: run.actor ?? "",
    dryRun: run.dryRun,
    jobTotal: run.jobTotal,
    jobDone: run.jobDone,
    jobFailed: run.jobFailed,
    jobSkipped: run.jobSkipped,
  };
  return `${JSON.stringify({ execID: run.runId, meta, state }, null, 2)}\n`;
}

/**
 * A job another runner took over after its runner stopped: the backend keeps its first claim's start (spec 40 §2.3),
 * so its time includes the stopped runner's part — said, or 50 s would read as the 8 s job's duration. Claims beyond
 * the first that were not retries are takeovers.
 */
function takenOverNote(job: JobView): string {
  const takeovers = job.attempts - 1 - (job.retries ?? 0);
  if (takeovers < 1 || job.status === "pending" || job.status === "skipped") return "";
  return `taken over${takeovers > 1 ? ` ${takeovers}×` : ""} (timed from the first runner's start)`;
}

/**
 * `detailed` (`--detailed`): the backend records jobs, not their steps, so each job shows the one step detail it
 * has — the step its error names — and a line says where step status is kept, rather than an empty step list.
 * `ticking: false` leaves out what grows with the clock (an unfinished run's duration, a running job's time):
 * `status --watch` compares frames so to print one to a log only when something else changed. `now`: the backend's
 * clock when it answered (epoch ms), which those and a lapsed lease are counted on — the backend dated the run's and
 * jobs' times, and this machine's clock may be off from its (default: this machine's, for a backend that sends none).
 * `commandUrl`: the backend URL given by --backend-url or ORUN_BACKEND_URL, which the printed commands repeat (one
 * from intent.yaml is found there again). `planArgument`: the retry command's plan (stoppedLines).
 */
export function statusText(
  run: RunView,
  jobs: JobView[],
  backendUrl: string,
  options: { detailed?: boolean; ticking?: boolean; commandUrl?: string; now?: number; planArgument?: string } = {},
): string {
  const count = (s: string) => jobs.filter((j) => j.status === s).length;
  const ticking = options.ticking !== false;
  const now = options.now ?? Date.now();
  const since = (start: string, end: string | null | undefined): string => (end ? formatMs(Date.parse(end) - Date.parse(start)) : ticking ? formatMs(now - Date.parse(start)) : "");
  // What the backend sent is shown escaped: ours refuses control characters in IDs, another backend may not.
  const runId = sent(run.runId);
  const lines = [
    `▲ orun remote run ${runId}`,
    `Plan: ${sent(run.planChecksum)} · Run: ${runId} · State: ${sent(run.status)} · Duration: ${since(run.createdAt, run.finishedAt)}`,
    `Backend: ${backendUrl}`,
    `Status: ✓ ${count("success")} succeeded · ● ${count("running")} running · ○ ${count("pending")} queued` +
      (count("failed") ? ` · ✗ ${count("failed")} failed` : "") +
      (count("skipped") ? ` · ⊘ ${count("skipped")} skipped` : ""),
    ...(run.stoppedReason ? stoppedLines(run, jobs, options.commandUrl, options.planArgument) : []),
    // Finished jobs only, as locally: a skipped job did not run.
    progressBar(run.jobTotal ? (count("success") + count("failed")) / run.jobTotal : 1),
    "",
  ];
  const width = Math.max(0, ...jobs.map((j) => sent(j.jobId).length));
  for (const job of jobs) {
    const took = job.startedAt ? since(job.startedAt, job.finishedAt) : "";
    const withheld = noEvidenceOf(job);
    // Another backend may leave the runner out: said as unknown, not as "on undefined".
    const detail = job.status === "running" ? `on ${job.runnerId ? sent(job.runnerId) : "?"}${heldWithoutLease(job) ? " (no lease secret)" : ""}${lapsedLease(job, ticking, now)}` : job.lastError ? oneLine(describedError(job.lastError)) : withheld ? `no promotion evidence: ${withheld.reason ?? causeText(withheld.cause)}` : "";
    // A later attempt of the workflow run (GitHub's re-run) than the first: which one the job's state is from.
    const attempt = job.runAttempt && job.runAttempt > 1 ? `attempt ${job.runAttempt}` : "";
    const retried = job.retries ? `retried ${job.retries === 1 ? "once" : `${job.retries}×`}` : "";
    const takenOver = takenOverNote(job);
    lines.push(`  ${ICON[job.status] ?? "?"} ${sent(job.jobId).padEnd(width)}  ${sent(job.status).padEnd(7)} ${took.padEnd(7)} ${[attempt, retried, takenOver, detail].filter(Boolean).join(" · ")}`.trimEnd());
    const failedStep = options.detailed && job.lastError ? /^step (\S+): /.exec(job.lastError)?.[1] : undefined;
    if (failedStep) lines.push(`      ✗ step ${oneLine(failedStep)}  failed`);
  }
  if (options.detailed) {
    lines.push(
      "",
      "Steps: the backend records jobs, not steps — each step's status is in the execution record of the runner that ran its job",
      "(orun status --detailed on that machine); each step's output is in its job's remote log, under `=== <step> ===`:",
      `orun logs --exec-id ${remoteRunWords(run.runId, options.commandUrl)} --job <job> [--step <step>]`,
    );
  }
  lines.push("", `Logs: orun logs --exec-id ${remoteRunWords(run.runId, options.commandUrl)}`, "");
  return lines.join("\n");
}

/** A running job its runner holds without a lease secret, as the backend says (JobView.noLeaseSecret). */
function heldWithoutLease(job: JobView): boolean {
  return job.status === "running" && job.noLeaseSecret === true;
}

/**
 * ` · lease lapsed 12s ago; …` for a running job past its lease end (JobView.leaseExpiresAt): its runner stopped
 * heartbeating, and the backend has not released it yet. `ticking: false` leaves out how long ago. `now`: the
 * backend's clock, which dated the lease end.
 */
function lapsedLease(job: JobView, ticking: boolean, now: number): string {
  const ends = typeof job.leaseExpiresAt === "string" ? Date.parse(job.leaseExpiresAt) : NaN;
  const ago = now - ends;
  if (!(ago > 0)) return "";
  return ` · lease lapsed${ticking ? ` ${formatMs(ago)} ago` : ""}; another runner can take it over`;
}

/**
 * A value the backend sent, as a template literal shows it, escaped (src/util/printable.ts): ours refuses controls in
 * IDs and checks its texts, another backend may send escape sequences or bidi controls.
 */
function sent(value: unknown): string {
  return printable(String(value));
}

/**
 * A stopped run's line: why, and the command that retries its failed job in it (which reopens it), one a line when
 * several failed. `planArgument` (recorded-plan.ts runPlanArgument): how `orun run` here is given the run's plan;
 * without one (the plan is not on this machine) the command stays a template naming the plan's ID, as it does
 * without a failed job (a backend that does not list it).
 */
function stoppedLines(run: RunView, jobs: JobView[], commandUrl: string | undefined, planArgument: string | undefined): string[] {
  const why = `Stopped: ${oneLine(run.stoppedReason ?? "")} — no job starts in this run until a failed job is retried in it`;
  const plan = planArgument ? shellWord(planArgument) : `<plan file${run.planChecksum ? ` of ${sent(run.planChecksum)}` : ""}>`;
  const retry = (job: string): string => `orun run ${plan} --job ${job} --exec-id ${remoteRunWords(run.runId, commandUrl)} --retry`;
  const failed = jobs.filter((job) => job.status === "failed").map((job) => shellWord(job.jobId));
  if (failed.length > 1) return [`${why}, which reopens it:`, ...failed.map((job) => `  ${retry(job)}`)];
  return [`${why} (${retry(failed[0] ?? "<failed job>")}), which reopens it`];
}

/**
 * A success the backend counts as no promotion evidence for the run, its reason printable; undefined for any other
 * job (or a backend that does not say).
 */
function noEvidenceOf(job: JobView): NoEvidence | undefined {
  const given: unknown = job.noEvidence;
  if (job.status !== "success" || typeof given !== "object" || given === null) return undefined;
  const { cause, reason } = given as Record<string, unknown>;
  return {
    cause: knownNoEvidenceCause(cause),
    reason: typeof reason === "string" && reason ? printable(reason, { max: MAX_NO_EVIDENCE_REASON_CHARS, asciiOnly: true }) : null,
  };
}

/** A cause in words, when the backend sent no reason: without a cause, both that make a success no evidence. */
function causeText(cause: NoEvidence["cause"]): string {
  if (cause === "other-code") return "the runner ran other code than the run's revision (a job retried after a fix)";
  if (cause === "other-checkout") return "the runner ran from a checkout that was not the run's revision (it had moved on, had edits, or was another folder)";
  if (cause === "oidc-commit") return "the runner's GitHub Actions OIDC token does not vouch for the run's revision";
  if (cause === "other-code-and-oidc-commit") return "the runner ran other code than the run's revision, and its GitHub Actions OIDC token does not vouch for that revision";
  return "no cause recorded (a job retried after a fix, or a GitHub Actions runner whose OIDC token is for another commit than the one it ran)";
}

// Terminal escape sequences (CSI, OSC, two-character) and every other control character but tab.
// eslint-disable-next-line no-control-regex
const CONTROLS = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])|[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * A runner's error text as one table cell: its first line, without escape sequences or control
 * characters (another runner's text must not drive the reader's terminal) and its bidi controls escaped,
 * `…` when it had more.
 */
export function oneLine(text: string): string {
  const [first = "", ...rest] = text.split("\n");
  const line = printable(first.replaceAll("\t", " ").replace(CONTROLS, "").trimEnd());
  return rest.some((l) => l.trim()) ? `${line} …` : line;
}

export function logsText(run: RunView, entries: { job: JobView; log: string }[]): string {
  const out: string[] = [`${sent(run.runId)}  ${sent(run.status)}  ${sent(run.jobDone)}/${sent(run.jobTotal)} succeeded${run.jobFailed ? `, ${sent(run.jobFailed)} failed` : ""}`, ""];
  for (const { job, log } of entries) {
    // The header's IDs escaped as status shows them; the log itself is the steps' output, printed as it is (as locally).
    out.push(`${ICON[job.status] ?? "?"} ${sent(job.jobId)} (${sent(job.status)}${job.runnerId ? ` on ${sent(job.runnerId)}` : ""})`);
    out.push(log.endsWith("\n") ? log : `${log}\n`);
  }
  return out.join("\n");
}

/** `--raw`: the logs' text alone, one after another; a log not ending its last line gets a newline before the next. */
export function rawLogsText(entries: { log: string }[]): string {
  return entries.map(({ log }, i) => (i < entries.length - 1 && !log.endsWith("\n") ? `${log}\n` : log)).join("");
}

export function isRunFinished(run: RunView): boolean {
  return run.status === "completed" || run.status === "failed" || run.status === "cancelled";
}

function progressBar(fraction: number): string {
  const cells = 32;
  const done = Math.round(fraction * cells);
  return `${"█".repeat(done)}${"░".repeat(cells - done)} ${Math.round(fraction * 100)}%`;
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${ms}ms`;
  // Rounded before it is split, so 59.96s reads 1m0s and 11m59.6s 12m0s, never 60.0s or 11m60s.
  if (Math.round(ms / 100) < 600) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
