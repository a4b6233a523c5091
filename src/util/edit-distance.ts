// How far apart two words are as typos go: shared by the planner's "did you mean" hints and the CLI's.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two adjacent letters (optimal string alignment), the typos people make.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The names a mistyped one may have meant, closest first (at most `limit`): those within a third of its length
 * (1 to 3 edits, case-insensitive) of the name or of one of its short `forms` (a job ID's job name: `deplyo` is
 * close to `api@dev.deploy`), then those containing it (or `options.containing`, the text as typed when `typed` is
 * its normalised form). Used where a command-line name must exist (`orun run --job`, `orun logs --job`).
 */
export function closeNames(
  typed: string,
  names: Iterable<string>,
  options: { containing?: string; limit?: number; forms?: (name: string) => string[] } = {},
): string[] {
  const wanted = typed.trim();
  const part = (options.containing ?? wanted).trim();
  const unique = [...new Set(names)];
  const most = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  const distance = (name: string): number =>
    Math.min(...[name, ...(options.forms?.(name) ?? [])].map((form) => editDistance(wanted.toLowerCase(), form.toLowerCase())));
  const close = unique
    .map((name) => ({ name, distance: distance(name) }))
    .filter((entry) => entry.distance <= most)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .map((entry) => entry.name);
  const containing = unique.filter((name) => part !== "" && name.includes(part) && !close.includes(name)).sort();
  return [...close, ...containing].slice(0, options.limit ?? 5);
}
