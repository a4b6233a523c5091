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
