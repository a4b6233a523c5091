// Go-style durations (`300ms`, `15m`, `1h30m`, `1.5h`) as used by plan `timeout` fields.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go duration into milliseconds; throws with Go's wording on bad input. */
export function parseDuration(text: string): number {
  const source = text.trim();
  if (source === "0") return 0;
  let rest = source;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "") throw new Error(`time: invalid duration "${text}"`);
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const match = TERM.exec(rest);
    if (!match) throw new Error(`time: invalid duration "${text}"`);
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return sign * total;
}

/** Human duration for output: `0.3s`, `12.0s`, `2m5s`, `1h3m`. */
export function formatDuration(ms: number): string {
  const rounded = Math.round(ms / 100) * 100;
  if (rounded < 60_000) return `${(rounded / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(rounded / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h${minutes}m` : `${minutes}m${seconds}s`;
}

/** Compact Go-like rendering of a timeout for messages: `2s`, `300ms`, `15m`, `1h30m`. */
export function formatTimeout(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = "";
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (seconds || out === "") out += `${Number(seconds.toFixed(3))}s`;
  return out;
}
