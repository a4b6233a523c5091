// "did you mean `x`?" hints for misspelt keys and names: `closestMatch` for
// document keys and references, `suggestName` for names given on the command
// line (`--env`, `--component`, `--trigger`), with v2.3's rule.
import { editDistance } from "../../util/edit-distance.js";

export { editDistance };

/**
 * The closest candidate, if it is close enough to be a plausible typo: within
 * a third of the word's length (at least 1, at most 3 edits), case-insensitive.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of [...candidates].sort()) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean \`x\`?)` or "" */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? "" : ` (did you mean \`${match}\`?)`;
}

/** Plain Levenshtein distance: insertions, deletions and substitutions. */
export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * v2.3's suggestion (spec 10 §2.6): case-insensitive Levenshtein, the closest
 * candidate (first in sorted order on ties) within max(2, len/2) edits. It must
 * keep part of what was typed: "x" is not a typo of "pr".
 */
export function suggestName(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of [...candidates].sort()) {
    const d = levenshtein(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance < input.length && bestDistance <= Math.max(2, Math.floor(input.length / 2)) ? best : undefined;
}
