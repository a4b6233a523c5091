// Durations for backend flags: Go durations (`300ms`, `30s`, `5m`, `1h30m`),
// plus whole days (`7d`, for retention) and bare milliseconds.
import { parseDuration as parseGoDuration } from "../runtime/duration.js";
import { OrunError } from "../util/errors.js";

export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const days = /^(\d+(?:\.\d+)?)d$/.exec(trimmed);
  if (days) return Math.round(Number(days[1]) * 86_400_000);
  let ms: number;
  try {
    ms = parseGoDuration(trimmed);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < 0) throw new OrunError(`${field}: invalid duration "${text}" (use e.g. 500ms, 30s, 5m, 24h, 7d)`);
  return Math.round(ms);
}
