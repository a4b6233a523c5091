// Steps waiting for a backed-up console (util/output-pressure.ts) share one wait on it: each waiting on its own
// added drain/close/error listeners to orun's stdout, and from the 11th step at once (concurrency above 10 behind a
// slow reader) Node printed "MaxListenersExceededWarning: Possible EventEmitter memory leak detected" on stderr.
import { outputBacklogged, outputDrained } from "../../util/output-pressure.js";

let shared: Promise<void> | undefined;

/** Resolves once the console has taken its backlog (or is gone), or when `signal` aborts. */
export function consoleDrained(signal?: AbortSignal): Promise<void> {
  if (!outputBacklogged() || signal?.aborted) return Promise.resolve();
  const wait = (shared ??= outputDrained().finally(() => (shared = undefined)));
  if (!signal) return wait;
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    void wait.then(done);
  });
}
