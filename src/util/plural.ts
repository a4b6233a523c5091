/** `1 job`, `2 jobs`: a count with its noun, singular for exactly one. */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
