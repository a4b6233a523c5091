// Node fires a timer longer than 2^31-1 ms (about 24.8 days) at once, with a
// warning, so a step `timeout: 800h` or `timeout-minutes: 50000` would time
// out immediately; longer delays are chained.

const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout for any delay; returns its clear function. */
export function longTimeout(fire: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fire()), Math.min(left, MAX_TIMER_MS));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/**
 * A signal that aborts when `signal` does or `ms` pass (a TimeoutError, as AbortSignal.timeout's), and `clear` to
 * stop the timer once the work settles. Not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 the
 * composite holds its timeout signal only weakly, so after a garbage collection the timeout never fires and a
 * request to a server that never answers hangs for ever. Here the timer holds the controller.
 */
export function deadlineSignal(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; clear: () => void } {
  const deadline = new AbortController();
  const onAbort = () => deadline.abort(signal?.reason);
  const stopTimer = longTimeout(() => deadline.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: deadline.signal,
    clear: () => {
      stopTimer();
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** A signal that aborts `ms` after `signal` does (its timer does not keep the process alive), unless `until` aborts first. */
export function graceAfter(signal: AbortSignal, ms: number, until: AbortSignal): AbortSignal {
  const grace = new AbortController();
  const arm = () => setTimeout(() => grace.abort(), ms).unref();
  if (signal.aborted) arm();
  else {
    signal.addEventListener("abort", arm, { once: true });
    // Once `until` aborts nothing waits on the grace: `signal`, which may outlive many of them (a run's, over its jobs), lets go.
    until.addEventListener("abort", () => signal.removeEventListener("abort", arm), { once: true });
  }
  return grace.signal;
}
